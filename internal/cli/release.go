package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const releaseUsage = `usage: xuqm release apk|rn [flags] FILE

Uploads an Android APK (apk) or a React Native bundle (rn) to the server as a DRAFT release and,
with --publish, publishes it (to --rollout percent of devices). Made for CI pipelines.

Credentials: --key, the app's UPDATE service key (the request is signed with it), or --token, a
tenant token of the app's owner (or an ADMIN or DEVELOPER sub-account).

common flags (environment variable in brackets):
  --server URL        the server (XUQM_SERVER; default http://localhost:8080)
  --app KEY           the app's key, ak_… (XUQM_APP_KEY)
  --key SECRET        the UPDATE service key (XUQM_UPDATE_KEY)
  --token JWT         a tenant token instead of the key (XUQM_TOKEN)
  --platform P        ANDROID or IOS (default ANDROID)
  --rollout N         percent of devices offered the release, 0-100 (default: the server's, 100)
  --publish           publish the release after the upload
  --progress MODE     auto, bar or plain (default auto: a bar on a terminal, plain lines otherwise)

apk flags:
  --version-code N    the versionCode (required)
  --version-name S    the versionName shown to users (required)
  --changelog S       the release notes
  --force-update      installed versions must update
  --min-supported-version-code N

rn flags:
  --module ID         the bundle's module id (required)
  --version V         the bundle version, e.g. 1.0.1 (required)
  --min-app-version V the lowest native app version that can run it (required)
  --max-app-version V the highest one
  --mandatory         devices must install it
  --description S     the release notes`

// releaseRequest is what one `xuqm release` is to do.
type releaseRequest struct {
	kind     string // "apk" or "rn"
	server   string
	app      string
	key      string
	token    string
	publish  bool
	rollout  int // -1: not given
	progress string
	file     string
	fields   []formField // in the order sent, before the file
}

type formField struct{ name, value string }

func release(ctx context.Context, args []string, env Environment) error {
	req, err := parseRelease(args, env)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.Stdout, releaseUsage)
			return nil
		}
		fmt.Fprintln(env.Stderr, releaseUsage)
		return err
	}
	c := &releaseClient{req: req, env: env}
	id, summary, err := c.upload(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, summary)
	if !req.publish {
		fmt.Fprintf(env.Stdout, "release %d is a DRAFT; publish it with --publish or POST %s\n", id, c.publishPath(id))
		return nil
	}
	percent, err := c.publishRelease(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "published release %d to %d%% of devices\n", id, percent)
	return nil
}

func parseRelease(args []string, env Environment) (*releaseRequest, error) {
	if len(args) == 0 || (args[0] != "apk" && args[0] != "rn") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil, flag.ErrHelp
		}
		return nil, fmt.Errorf("%w: release needs apk or rn", ErrUsage)
	}
	getenv := env.Getenv
	r := &releaseRequest{kind: args[0]}
	fs := flag.NewFlagSet("release "+r.kind, flag.ContinueOnError)
	fs.SetOutput(discard{})
	fs.StringVar(&r.server, "server", or(getenv("XUQM_SERVER"), "http://localhost:8080"), "")
	fs.StringVar(&r.app, "app", getenv("XUQM_APP_KEY"), "")
	fs.StringVar(&r.key, "key", getenv("XUQM_UPDATE_KEY"), "")
	fs.StringVar(&r.token, "token", getenv("XUQM_TOKEN"), "")
	fs.BoolVar(&r.publish, "publish", false, "")
	fs.IntVar(&r.rollout, "rollout", -1, "")
	fs.StringVar(&r.progress, "progress", "auto", "")
	platform := fs.String("platform", "ANDROID", "")
	strs := map[string]*string{}
	bools := map[string]*bool{}
	for _, name := range []string{"version-code", "version-name", "changelog", "min-supported-version-code", "module", "version", "min-app-version", "max-app-version", "description"} {
		strs[name] = fs.String(name, "", "")
	}
	for _, name := range []string{"force-update", "mandatory"} {
		bools[name] = fs.Bool(name, false, "")
	}
	// Flags may come before or after FILE.
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		if r.file != "" {
			return nil, fmt.Errorf("%w: one FILE only, got %q and %q", ErrUsage, r.file, fs.Arg(0))
		}
		r.file, rest = fs.Arg(0), fs.Args()[1:]
	}
	var missing []string
	need := func(name, value string) {
		if value == "" {
			missing = append(missing, "--"+name)
		}
	}
	need("app", r.app)
	if r.file == "" {
		missing = append(missing, "FILE")
	}
	p := strings.ToUpper(*platform)
	r.fields = []formField{{"appId", r.app}, {"platform", p}}
	add := func(field, flagName string) {
		if v := *strs[flagName]; v != "" {
			r.fields = append(r.fields, formField{field, v})
		}
	}
	switch r.kind {
	case "apk":
		need("version-code", *strs["version-code"])
		need("version-name", *strs["version-name"])
		add("versionCode", "version-code")
		add("versionName", "version-name")
		add("changelog", "changelog")
		add("minSupportedVersionCode", "min-supported-version-code")
		r.fields = append(r.fields, formField{"forceUpdate", strconv.FormatBool(*bools["force-update"])})
	case "rn":
		need("module", *strs["module"])
		need("version", *strs["version"])
		need("min-app-version", *strs["min-app-version"])
		add("moduleId", "module")
		add("version", "version")
		add("minAppVersion", "min-app-version")
		add("maxAppVersion", "max-app-version")
		add("description", "description")
		r.fields = append(r.fields, formField{"mandatory", strconv.FormatBool(*bools["mandatory"])})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: release %s needs %s", ErrUsage, r.kind, strings.Join(missing, ", "))
	}
	if (r.key == "") == (r.token == "") {
		return nil, fmt.Errorf("%w: give either --key (the UPDATE service key) or --token (a tenant token)", ErrUsage)
	}
	if p != "ANDROID" && p != "IOS" {
		return nil, fmt.Errorf("%w: --platform is ANDROID or IOS, not %q", ErrUsage, *platform)
	}
	if r.rollout != -1 {
		if r.rollout < 0 || r.rollout > 100 {
			return nil, fmt.Errorf("%w: --rollout is a percentage from 0 to 100, not %d", ErrUsage, r.rollout)
		}
		r.fields = append(r.fields, formField{"rolloutPercent", strconv.Itoa(r.rollout)})
	}
	switch r.progress {
	case "auto", "bar", "plain":
	default:
		return nil, fmt.Errorf("%w: --progress is auto, bar or plain", ErrUsage)
	}
	info, err := os.Stat(r.file)
	if err != nil {
		return nil, fmt.Errorf("release file: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("release file %s is a directory", r.file)
	}
	r.file = filepath.Clean(r.file)
	r.server = strings.TrimRight(r.server, "/")
	return r, nil
}

func or(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
