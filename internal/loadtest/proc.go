package loadtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat; 100 on every Linux
// the server runs on (reading it needs sysconf, hence cgo).
const clockTicks = 100

// cpuTicks is the user plus system CPU time of pid in clock ticks; false when it is gone.
func cpuTicks(pid int) (int64, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces and parentheses: the fields start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 { // f[0] is field 3 (state); utime and stime are fields 14 and 15
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return u + s, true
}

// statusKiB reads a "Name: N kB" line of /proc/<pid>/<file>.
func statusKiB(pid int, file, name string) int64 {
	return statusKiBFile("/proc/"+strconv.Itoa(pid)+"/"+file, name)
}

func statusKiBFile(path, name string) int64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// RSS is the resident memory of pid in bytes.
func RSS(pid int) int64 { return statusKiB(pid, "status", "VmRSS") * 1024 }

// pss is pid's proportional share of resident memory, which can be summed over processes
// that share memory (PostgreSQL's shared buffers) without counting it twice.
func pss(pid int) int64 {
	if v := statusKiB(pid, "smaps_rollup", "Pss"); v > 0 {
		return v * 1024
	}
	return RSS(pid)
}

func procComm(pid int) string {
	raw, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(raw))
}

func procCmdline(pid int) string {
	raw, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(string(bytes.ReplaceAll(raw, []byte{0}, []byte{' '})))
}

func procParent(pid int) int {
	return int(statusKiB(pid, "status", "PPid")) // PPid has no unit; the parser takes the number
}

func allPIDs() []int {
	entries, _ := filepath.Glob("/proc/[0-9]*")
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(filepath.Base(e)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// PostgreSQL names the PostgreSQL processes whose CPU a run counts: a postmaster and its
// children. With Database set, client backends of other databases are left out, so that
// a cluster shared with other work (a developer's 127.0.0.1:5432) counts only this
// server's backends and the cluster's own background processes.
type PostgreSQL struct {
	Postmaster int    // 0: every postmaster found on the machine
	Database   string // "": every backend
}

// processes lists the pids counted now.
func (p PostgreSQL) processes() []int {
	var out []int
	postmasters := map[int]bool{}
	if p.Postmaster > 0 {
		postmasters[p.Postmaster] = true
	}
	pids := allPIDs()
	if p.Postmaster == 0 {
		for _, pid := range pids {
			if procComm(pid) == "postgres" && procComm(procParent(pid)) != "postgres" {
				postmasters[pid] = true
			}
		}
	}
	for _, pid := range pids {
		if postmasters[pid] {
			out = append(out, pid)
			continue
		}
		if !postmasters[procParent(pid)] {
			continue
		}
		if p.Database != "" && isOtherBackend(procCmdline(pid), p.Database) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// isOtherBackend tells whether a process title ("postgres: user db 127.0.0.1(5432) idle")
// is a client backend of a database other than db; background processes have no client.
func isOtherBackend(title, db string) bool {
	f := strings.Fields(title)
	if len(f) < 4 || !strings.Contains(f[3], "(") && !strings.HasPrefix(f[3], "[local]") {
		return false
	}
	return f[2] != db
}

// Probe measures the CPU the server and PostgreSQL use over a stretch of time.
type Probe struct {
	ServerPID int // 0: not measured
	PG        *PostgreSQL

	begin   time.Time
	server  int64
	pgTicks map[int]int64
}

// Usage is CPU as a fraction of one core (1.0 = a whole core) and memory in bytes.
type Usage struct {
	Elapsed             time.Duration
	ServerCPU, PGCPU    float64
	ServerRSS, PGMemory int64 // PGMemory: the sum of the processes' PSS
	Measured            bool
	PGMeasured          bool
}

// Begin starts a measurement.
func (p *Probe) Begin() {
	p.begin = time.Now()
	if p.ServerPID > 0 {
		p.server, _ = cpuTicks(p.ServerPID)
	}
	if p.PG != nil {
		p.pgTicks = map[int]int64{}
		for _, pid := range p.PG.processes() {
			if t, ok := cpuTicks(pid); ok {
				p.pgTicks[pid] = t
			}
		}
	}
}

// End finishes the measurement started by Begin. A PostgreSQL process that started in
// between counts from 0; one that ended in between is lost (its last ticks unknown).
func (p *Probe) End() Usage {
	u := Usage{Elapsed: time.Since(p.begin)}
	secs := u.Elapsed.Seconds() * clockTicks
	if p.ServerPID > 0 {
		if t, ok := cpuTicks(p.ServerPID); ok {
			u.ServerCPU, u.ServerRSS, u.Measured = float64(t-p.server)/secs, RSS(p.ServerPID), true
		}
	}
	if p.PG != nil {
		var ticks int64
		for _, pid := range p.PG.processes() {
			if t, ok := cpuTicks(pid); ok {
				ticks += t - p.pgTicks[pid]
				u.PGMemory += pss(pid)
			}
		}
		u.PGCPU, u.PGMeasured = float64(ticks)/secs, true
	}
	return u
}
