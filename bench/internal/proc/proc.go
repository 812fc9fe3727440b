// Package proc reads what a Linux process has used from /proc: CPU time
// and resident memory, for one process or a process and its children.
package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is the unit of CPU times in /proc/<pid>/stat (USER_HZ), 100
// on every Linux architecture Go supports.
const ClockTicks = 100

// Usage is what a process has used so far.
type Usage struct {
	// CPU is user plus system time of all its threads; with Children, also
	// of its children that have exited and been waited for.
	CPU time.Duration
	// RSS is the resident set now; PeakRSS the highest it has been (VmHWM).
	RSS, PeakRSS int64
}

// Stat is the part of /proc/<pid>/stat that Usage needs.
type Stat struct {
	PPID           int
	UTime, STime   uint64 // clock ticks
	CUTime, CSTime uint64 // of waited-for children, clock ticks
}

// ErrFormat is wrapped by errors about unexpected /proc contents.
var ErrFormat = errors.New("proc: unexpected format")

// ParseStat reads the contents of /proc/<pid>/stat. The command name, in
// parentheses, may itself hold spaces and parentheses.
func ParseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("%w: stat has no command name", ErrFormat)
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
	if len(f) < 15 {
		return Stat{}, fmt.Errorf("%w: stat has %d fields after the name", ErrFormat, len(f))
	}
	var st Stat
	var err error
	num := func(k int) uint64 {
		v, e := strconv.ParseUint(f[k], 10, 64)
		if e != nil {
			// cutime and cstime are signed in the kernel; negative never happens.
			err = fmt.Errorf("%w: stat field %d: %q", ErrFormat, k+3, f[k])
		}
		return v
	}
	if st.PPID, err = strconv.Atoi(f[1]); err != nil || st.PPID < 0 {
		return Stat{}, fmt.Errorf("%w: stat parent: %q", ErrFormat, f[1])
	}
	st.UTime, st.STime, st.CUTime, st.CSTime = num(11), num(12), num(13), num(14)
	return st, err
}

// ParseStatus reads VmRSS and VmHWM (in bytes) from /proc/<pid>/status.
func ParseStatus(b []byte) (rss, peak int64, err error) {
	var found int
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%w: %s: %q", ErrFormat, key, val)
		}
		kb, e := strconv.ParseInt(f[0], 10, 64)
		if e != nil || kb < 0 || kb > 1<<50 {
			return 0, 0, fmt.Errorf("%w: %s: %q", ErrFormat, key, val)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
		found++
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("%w: status lacks VmRSS or VmHWM", ErrFormat)
	}
	return rss, peak, nil
}

// Read returns the usage of one process.
func Read(pid int) (Usage, error) {
	st, err := readStat(pid)
	if err != nil {
		return Usage{}, err
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return Usage{}, err
	}
	rss, peak, err := ParseStatus(b)
	if err != nil {
		return Usage{}, err
	}
	return Usage{CPU: ticks(st.UTime + st.STime), RSS: rss, PeakRSS: peak}, nil
}

// ReadTree returns the usage of a process and its live children, plus the
// CPU time of its children that have exited (a PostgreSQL server and its
// backends). PeakRSS is the largest of the processes' peaks; RSS the sum.
func ReadTree(pid int) (Usage, error) {
	root, err := readStat(pid)
	if err != nil {
		return Usage{}, err
	}
	u, err := Read(pid)
	if err != nil {
		return Usage{}, err
	}
	u.CPU += ticks(root.CUTime + root.CSTime)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return Usage{}, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		st, err := readStat(child)
		if err != nil || st.PPID != pid {
			continue // gone, or not a child
		}
		cu, err := Read(child)
		if err != nil {
			continue
		}
		u.CPU += cu.CPU
		u.RSS += cu.RSS
		u.PeakRSS = max(u.PeakRSS, cu.PeakRSS)
	}
	return u, nil
}

func readStat(pid int) (Stat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / ClockTicks }

// MachineBusy is the CPU time all processors have spent on anything but
// idling and waiting for I/O since boot, from the first line of /proc/stat.
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return ParseMachineBusy(b)
}

// ParseMachineBusy reads the busy time from the contents of /proc/stat.
func ParseMachineBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 5 || f[0] != "cpu" {
		return 0, fmt.Errorf("%w: /proc/stat has no cpu line", ErrFormat)
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: /proc/stat cpu field %d: %q", ErrFormat, i+1, v)
		}
		if i == 3 || i == 4 || i >= 7 { // idle, iowait, steal (not this machine's work); guest is already in user
			continue
		}
		busy += n
	}
	return ticks(busy), nil
}
