package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// UpdateChecks compares the rate of the app update check and the RN bundle check with
// /healthz, the cheapest route: each for Duration with Clients concurrent loops.
type UpdateChecks struct {
	Name          string
	Clients       int
	Duration      time.Duration
	AdminPassword string // the operator `admin`, to publish a version and a bundle to check against
}

// CheckRate is one route's figure.
type CheckRate struct {
	Route   string
	OK      int
	Other   map[int]int // answers other than 200, by status; -1: transport errors
	Rate    float64     // 200 answers a second
	Latency Latencies
}

// UpdateResult is the report of the update scenario.
type UpdateResult struct {
	Name      string
	Published string // what the checks find, or why nothing was published
	Rates     []*CheckRate
}

func (r *UpdateResult) Write(w io.Writer) {
	fmt.Fprintf(w, "== %s (%s)\n", r.Name, r.Published)
	for _, c := range r.Rates {
		fmt.Fprintf(w, "   %-10s %7.0f/s  %s", c.Route, c.Rate, c.Latency.Summarize())
		for code, n := range c.Other {
			fmt.Fprintf(w, "  [%d: %d]", code, n)
		}
		fmt.Fprintln(w)
	}
}

// Ratio is the rate of route over /healthz's.
func (r *UpdateResult) Ratio(route string) float64 {
	var health, other float64
	for _, c := range r.Rates {
		switch c.Route {
		case "healthz":
			health = c.Rate
		case route:
			other = c.Rate
		}
	}
	if health == 0 {
		return 0
	}
	return other / health
}

// Run publishes a version and a bundle (as the operator, when the password is right) and
// measures the three routes one after the other.
func (u UpdateChecks) Run(ctx context.Context, e *Env) (*UpdateResult, error) {
	res := &UpdateResult{Name: u.Name, Published: publishReleases(ctx, e.Target, u.AdminPassword)}
	app := e.Target.AppKey
	routes := []struct{ name, path string }{
		{"healthz", "/healthz"},
		{"app-check", "/api/v1/updates/app/check?appId=" + app + "&platform=ANDROID&currentVersionCode=1&deviceId=device-42"},
		{"rn-check", "/api/v1/rn/update/check?appId=" + app + "&platform=ANDROID&moduleId=home&currentVersion=1.0.0&appVersion=1.2.0&deviceId=device-42"},
	}
	for _, r := range routes {
		e.logf("%s: %s, %d clients for %s", u.Name, r.name, u.Clients, u.Duration)
		res.Rates = append(res.Rates, hammer(ctx, e.Target, r.name, r.path, u.Clients, u.Duration))
	}
	return res, nil
}

// hammer requests path from clients loops until d has passed.
func hammer(ctx context.Context, t *Target, name, path string, clients int, d time.Duration) *CheckRate {
	res := &CheckRate{Route: name, Other: map[int]int{}}
	end := time.Now().Add(d)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat Latencies
			ok, other := 0, map[int]int{}
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				code := get(ctx, t, path)
				if code == http.StatusOK {
					ok++
					lat.Add(time.Since(t0))
				} else {
					other[code]++
				}
			}
			mu.Lock()
			res.OK += ok
			res.Latency.Merge(&lat)
			for c, n := range other {
				res.Other[c] += n
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Rate = float64(res.OK) / time.Since(start).Seconds()
	return res
}

func get(ctx context.Context, t *Target, path string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+path, nil)
	if err != nil {
		return -1
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return -1
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// publishReleases uploads and publishes an ANDROID version 2 and a `home` bundle 1.1.0 of
// the app as the operator, so that the checks answer hasUpdate true, as most do after a
// release. Already there (409) is fine; any other failure leaves the checks answering
// "no update", which the report says.
func publishReleases(ctx context.Context, t *Target, adminPassword string) string {
	if adminPassword == "" {
		return "nothing published: no operator password"
	}
	body := fmt.Sprintf(`{"username":"admin","password":%q}`, adminPassword)
	var tok struct {
		Token string `json:"token"`
	}
	if err := t.call(ctx, http.MethodPost, "/api/auth/ops/login", []byte(body), "application/json", nil, &tok); err != nil {
		return "nothing published: operator login: " + err.Error()
	}
	h := http.Header{"Authorization": {"Bearer " + tok.Token}}
	steps := []struct {
		what, upload, publish string
		fields                map[string]string
	}{
		{"version 2", "/api/v1/updates/app/upload", "/api/v1/updates/app/%d/publish",
			map[string]string{"appId": t.AppKey, "platform": "ANDROID", "versionCode": "2", "versionName": "1.1.0", "changelog": "load test"}},
		{"bundle 1.1.0", "/api/v1/rn/upload", "/api/v1/rn/%d/publish",
			map[string]string{"appId": t.AppKey, "platform": "ANDROID", "moduleId": "home", "version": "1.1.0", "minAppVersion": "1.0.0", "description": "load test"}},
	}
	done := "published"
	for _, s := range steps {
		ct, form := multipartForm(s.fields, []byte("load test "+s.what))
		var rel struct {
			ID int64 `json:"id"`
		}
		err := t.call(ctx, http.MethodPost, s.upload, form, ct, h, &rel)
		if se, ok := err.(*StatusError); ok && se.Code == http.StatusConflict {
			done += " " + s.what + " (already there)"
			continue
		}
		if err != nil {
			return done + "; " + s.what + " failed: " + err.Error()
		}
		if err := t.call(ctx, http.MethodPost, fmt.Sprintf(s.publish, rel.ID), []byte(`{}`), "application/json", h, nil); err != nil {
			return done + "; publishing " + s.what + " failed: " + err.Error()
		}
		done += " " + s.what
	}
	return done
}

func multipartForm(fields map[string]string, file []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := []string{"appId", "platform", "versionCode", "versionName", "moduleId", "version", "minAppVersion", "changelog", "description"}
	for _, k := range keys {
		if v, ok := fields[k]; ok {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "load-"+strconv.Itoa(len(file))+".bin")
	_, _ = fw.Write(file)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}
