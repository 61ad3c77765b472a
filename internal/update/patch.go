package update

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Kinds of patch (rn_patches.kind).
const (
	PatchCodePushZip = "CODEPUSH_ZIP"
	PatchBsdiff      = "BSDIFF"
)

// Patch is a stored patch of a release against one base.
type Patch struct {
	ReleaseID            int64
	Kind                 string
	BaseHash, TargetHash string
	SHA256               string
	Size                 int64
}

func patchOf(r db.RnPatch) Patch {
	return Patch{ReleaseID: r.ReleaseID, Kind: r.Kind, BaseHash: r.BaseHash, TargetHash: r.TargetHash, SHA256: r.Sha256, Size: r.Size}
}

// PatchPath is where a stored patch of an app is served.
func PatchPath(appKey, sha string) string { return "/api/v1/rn/patches/" + appKey + "/" + sha }

// PatchArgs is the job that builds a release's patches against its live bases.
type PatchArgs struct {
	ReleaseID int64 `json:"releaseId"`
}

// Kind names the job.
func (PatchArgs) Kind() string { return "rn_patches" }

// InsertOpts puts the job on the update queue, once per release: patches are built once.
func (PatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueUpdate, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PatchWorker builds patches; any instance may work them, the bytes are in the blob store.
type PatchWorker struct {
	river.WorkerDefaults[PatchArgs]
	S *Service
}

// Work builds the job's patches.
func (w *PatchWorker) Work(ctx context.Context, job *river.Job[PatchArgs]) error {
	return w.S.BuildPatches(ctx, job.Args.ReleaseID)
}

// PatchWorker is the worker to add to the queue.
func (s *Service) PatchWorker() *PatchWorker { return &PatchWorker{S: s} }

// queuePatches queues the building of a new release's patches in the release's own
// transaction, so that the job exists exactly when the release does.
func (s *Service) queuePatches(ctx context.Context, tx pgx.Tx, releaseID int64) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, PatchArgs{ReleaseID: releaseID}, nil)
	return fault.Wrap(err, "queue patches")
}

// BuildPatches makes and stores the patches of a release against every live base: each
// enabled release made before it in its deployment whose bundle differs. An Expo export gets a
// bsdiff of its launch asset from each base's launch asset (what expo-updates asks for with
// A-IM: bsdiff); any other zip a CodePush diff package from each base that is a zip too. A
// patch that is not smaller than what it replaces is not kept, so that the client downloads
// the whole thing instead. Patches made already are not made again, so a retried job picks up
// where it stopped.
func (s *Service) BuildPatches(ctx context.Context, releaseID int64) error {
	target, err := s.q.GetRnPatchTarget(ctx, releaseID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return fault.Wrap(err, "load release")
	}
	bases, err := s.q.ListRnPatchBases(ctx, db.ListRnPatchBasesParams{DeploymentID: target.DeploymentID, BeforeID: target.ID})
	if err != nil {
		return fault.Wrap(err, "load bases")
	}
	if len(bases) == 0 {
		return nil
	}
	if target.LaunchSha256 != nil {
		return s.buildBsdiffPatches(ctx, target, bases)
	}
	targetBytes, ok, err := s.readBlob(ctx, target.Sha256)
	if err != nil || !ok {
		return err
	}
	targetZip, err := zip.NewReader(bytes.NewReader(targetBytes), int64(len(targetBytes)))
	if err != nil {
		return nil // a plain bundle: its clients get the whole file
	}
	done := map[string]bool{target.PackageHash: true}
	for _, base := range bases {
		if base.LaunchSha256 != nil || done[base.PackageHash] {
			continue // an Expo export, which CodePush clients never run
		}
		done[base.PackageHash] = true
		baseBytes, ok, err := s.readBlob(ctx, base.Sha256)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := s.storeCodePushPatch(ctx, target, base.ID, base.PackageHash, baseBytes, targetZip, int64(len(targetBytes))); err != nil {
			return err
		}
	}
	return nil
}

// buildBsdiffPatches makes the bsdiff patches of an Expo export's launch asset.
func (s *Service) buildBsdiffPatches(ctx context.Context, target db.GetRnPatchTargetRow, bases []db.ListRnPatchBasesRow) error {
	targetLaunch, ok, err := s.readBlob(ctx, *target.LaunchSha256)
	if err != nil || !ok {
		return err
	}
	done := map[string]bool{*target.LaunchSha256: true}
	for _, base := range bases {
		if base.LaunchSha256 == nil || done[*base.LaunchSha256] {
			continue
		}
		baseHash := *base.LaunchSha256
		done[baseHash] = true
		baseLaunch, ok, err := s.readBlob(ctx, baseHash)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		err = s.storePatch(ctx, db.InsertRnPatchParams{ReleaseID: target.ID, BaseReleaseID: &base.ID, Kind: PatchBsdiff, BaseHash: baseHash, TargetHash: *target.LaunchSha256},
			int64(len(targetLaunch)), func(w io.Writer) error { return bsdiff(baseLaunch, targetLaunch, w) })
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) storeCodePushPatch(ctx context.Context, target db.GetRnPatchTargetRow, baseID int64, baseHash string, baseBytes []byte, targetZip *zip.Reader, full int64) error {
	baseZip, err := zip.NewReader(bytes.NewReader(baseBytes), int64(len(baseBytes)))
	if err != nil {
		return nil // a plain bundle: its clients get the whole zip
	}
	return s.storePatch(ctx, db.InsertRnPatchParams{ReleaseID: target.ID, BaseReleaseID: &baseID, Kind: PatchCodePushZip, BaseHash: baseHash, TargetHash: target.PackageHash},
		full, func(w io.Writer) error {
			_, _, err := codePushPatch(baseZip, targetZip, w)
			return err
		})
}

// storePatch writes a patch into the blob store and records it, unless it is recorded
// already or is not smaller than full, the size of what it replaces.
func (s *Service) storePatch(ctx context.Context, arg db.InsertRnPatchParams, full int64, write func(io.Writer) error) error {
	_, err := s.q.GetRnPatch(ctx, db.GetRnPatchParams{ReleaseID: arg.ReleaseID, Kind: arg.Kind, BaseHash: arg.BaseHash})
	if err == nil {
		return nil
	}
	if !errors.Is(err, postgres.ErrNotFound) {
		return fault.Wrap(err, "load patch")
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	staged, err := s.blobs.Stage(ctx, pr, full)
	pr.Close()
	var tooLarge *blob.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil // no smaller than the whole
	}
	var source *blob.SourceError
	if errors.As(err, &source) {
		// The base or the target cannot be patched (a broken zip): its clients get the whole.
		return nil
	}
	if err != nil {
		return fault.Wrap(err, "stage patch")
	}
	defer staged.Discard()
	if staged.Size >= full {
		return nil
	}
	if err := staged.Commit(ctx, blob.ContentKey(staged.SHA256)); err != nil {
		return fault.Wrap(err, "store patch")
	}
	arg.Sha256, arg.Size = staged.SHA256, staged.Size
	return fault.Wrap(s.q.InsertRnPatch(ctx, arg), "record patch")
}

// readBlob reads a stored file whole; one too large to patch in memory reports !ok.
func (s *Service) readBlob(ctx context.Context, sha string) ([]byte, bool, error) {
	obj, err := s.blobs.Open(ctx, blob.ContentKey(sha))
	if err != nil {
		return nil, false, fault.Wrap(err, "open "+sha)
	}
	defer obj.Close()
	if obj.Size() > maxBsdiffInput {
		return nil, false, nil
	}
	b, err := io.ReadAll(io.LimitReader(obj, maxBsdiffInput+1))
	if err != nil {
		return nil, false, fault.Wrap(err, "read "+sha)
	}
	return b, int64(len(b)) <= maxBsdiffInput, nil
}

// patchFor is the release's patch of kind from the base, if one is stored.
func (s *Service) patchFor(ctx context.Context, releaseID int64, kind, baseHash string) (Patch, bool, error) {
	row, err := s.q.GetRnPatch(ctx, db.GetRnPatchParams{ReleaseID: releaseID, Kind: kind, BaseHash: baseHash})
	if errors.Is(err, postgres.ErrNotFound) {
		return Patch{}, false, nil
	}
	if err != nil {
		return Patch{}, false, fault.Wrap(err, "load patch")
	}
	return patchOf(row), true, nil
}

// DownloadPatch opens a stored patch of the app; a hash that names no patch of it is 404.
func (s *Service) DownloadPatch(ctx context.Context, appKey, sha string) (Download, error) {
	if !blob.ValidHash(sha) {
		return Download{}, fault.InvalidField("sha256", "must be 64 lower-case hex digits")
	}
	a, err := s.publicApp(ctx, appKey)
	if err != nil {
		return Download{}, err
	}
	ok, err := s.q.RnPatchOfApp(ctx, db.RnPatchOfAppParams{AppID: a.ID, Sha256: sha})
	if err != nil {
		return Download{}, fault.Wrap(err, "load patch")
	}
	if !ok {
		return Download{}, fault.NotFoundf("app %s has no patch %s", appKey, sha)
	}
	return s.open(ctx, sha, fmt.Sprintf("%s.patch", sha[:16]), "")
}

// ExpoPatch is a bsdiff patch of a launch asset, open for reading.
type ExpoPatch struct {
	Download
	BaseUpdateID string // lower-case
	BaseHash     string // the SHA-256 of the launch asset it applies to
}

// ExpoAssetPatch opens the stored bsdiff patch of the app's launch asset sha from the launch
// asset of the update the client runs, if there is one; a base that is no update of the app,
// or has no patch to sha, is !ok and the caller serves the whole asset.
func (s *Service) ExpoAssetPatch(ctx context.Context, appKey, sha, baseUpdateID string) (ExpoPatch, bool, error) {
	id, ok := parseUpdateID(baseUpdateID)
	if !ok || !blob.ValidHash(sha) {
		return ExpoPatch{}, false, nil
	}
	a, err := s.publicApp(ctx, appKey)
	if err != nil {
		return ExpoPatch{}, false, err
	}
	base, err := s.q.GetRnExpoLaunchOfUpdate(ctx, db.GetRnExpoLaunchOfUpdateParams{AppID: a.ID, ExpoUpdateID: id})
	if errors.Is(err, postgres.ErrNotFound) {
		return ExpoPatch{}, false, nil
	}
	if err != nil {
		return ExpoPatch{}, false, fault.Wrap(err, "load base")
	}
	p, err := s.q.GetRnBsdiffPatchOfApp(ctx, db.GetRnBsdiffPatchOfAppParams{AppID: a.ID, BaseHash: base, TargetHash: sha})
	if errors.Is(err, postgres.ErrNotFound) {
		return ExpoPatch{}, false, nil
	}
	if err != nil {
		return ExpoPatch{}, false, fault.Wrap(err, "load patch")
	}
	d, err := s.open(ctx, p.Sha256, "", "")
	if err != nil {
		return ExpoPatch{}, false, err
	}
	return ExpoPatch{Download: d, BaseUpdateID: id.String(), BaseHash: base}, true, nil
}
