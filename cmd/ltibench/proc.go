package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// proc reads a process's CPU time and memory from /proc (Linux). On other
// systems, or for a process it cannot read, it reports nothing (ok false).
type proc struct {
	pid  int // 0: this process
	name string
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTick = 100

func (p proc) path(file string) string {
	if p.pid == 0 {
		return filepath.Join("/proc/self", file)
	}
	return filepath.Join("/proc", strconv.Itoa(p.pid), file)
}

// cpu is the process's user + system CPU time so far.
func (p proc) cpu() (time.Duration, bool) {
	b, err := os.ReadFile(p.path("stat"))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; fields count from after
	// its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTick, true
}

// memory returns VmRSS and VmHWM (the peak resident set) in bytes.
func (p proc) memory() (rss, peak int64, ok bool) {
	f, err := os.Open(p.path("status"))
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, field := range []struct {
			name string
			dst  *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &peak}} {
			if rest, found := strings.CutPrefix(line, field.name); found {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				*field.dst = kb << 10
				ok = true
			}
		}
	}
	return rss, peak, ok
}

// resetPeak starts VmHWM again from the current resident set (writing 5
// to clear_refs, Linux 4.0+), so a phase's peak is its own, not that of
// the setup before it. It reports whether the kernel allowed it.
func (p proc) resetPeak() bool {
	return os.WriteFile(p.path("clear_refs"), []byte("5"), 0) == nil
}

// findServer returns the pid of the database server when it runs on this
// machine: from its pid file, else the only mariadbd or mysqld process.
// 0 when it cannot be told.
func findServer(pidFile string) int {
	if runtime.GOOS != "linux" {
		return 0
	}
	if pidFile != "" {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if _, ok := (proc{pid: pid}).cpu(); ok {
					return pid
				}
			}
		}
	}
	dirs, _ := os.ReadDir("/proc")
	found := 0
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(comm)); name == "mariadbd" || name == "mysqld" {
			if found != 0 {
				return 0 // several servers: cannot tell which
			}
			found = pid
		}
	}
	return found
}

// machineTicks reads /proc/stat's CPU line: the ticks (USER_HZ) all CPUs
// spent busy and in all.
func machineTicks() (busy, total int64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, true
}

// machineBusy is the CPU time all CPUs spent busy so far.
func machineBusy() (time.Duration, bool) {
	busy, _, ok := machineTicks()
	return time.Duration(busy) * time.Second / clockTick, ok
}

// cpuBusy is the share of the machine's CPU time that was not idle over d.
func cpuBusy(d time.Duration) (float64, bool) {
	read := machineTicks
	b0, t0, ok := read()
	if !ok {
		return 0, false
	}
	time.Sleep(d)
	b1, t1, ok := read()
	if !ok || t1 == t0 {
		return 0, false
	}
	return float64(b1-b0) / float64(t1-t0), true
}

// machine describes the computer the figures come from.
type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	MemoryMB int64  `json:"memory_mb"`
	OS       string `json:"os"`
	Go       string `json:"go"`
	Database string `json:"database"`
	LoadAvg  string `json:"load_average_before"`
	// BusyBefore is the share of all CPUs busy in the second before the
	// run: other people's work the figures compete with.
	BusyBefore float64 `json:"cpu_busy_before"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				m.MemoryMB = kb >> 10
			}
		}
	}
	if busy, ok := cpuBusy(time.Second); ok {
		m.BusyBefore = round2(busy)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}
