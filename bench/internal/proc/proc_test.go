package proc

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Stat
		wantErr bool
	}{
		{
			name: "plain",
			in:   "1234 (enricher) S 99 1234 1234 0 -1 4194560 5000 0 0 0 250 40 3 1 20 0 9 0 12345 1000000 2000 18446744073709551615",
			want: Stat{PPID: 99, UTime: 250, STime: 40, CUTime: 3, CSTime: 1},
		},
		{
			name: "name with spaces and parentheses",
			in:   "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 11 22 33 44 20 0 1 0",
			want: Stat{PPID: 1, UTime: 11, STime: 22, CUTime: 33, CSTime: 44},
		},
		{name: "no name", in: "7 a R 1", wantErr: true},
		{name: "short", in: "7 (a) R 1 2 3", wantErr: true},
		{name: "not a number", in: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 22 33 44 20", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("err = %v, want ErrFormat", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseStat = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tsink\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   70000 kB\nThreads:\t9\n"
	rss, peak, err := ParseStatus([]byte(in))
	if err != nil || rss != 70000<<10 || peak != 81234<<10 {
		t.Fatalf("ParseStatus = %d, %d, %v", rss, peak, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t1 kB\nVmRSS:\tlots kB\n", "VmHWM:\t1 MB\nVmRSS:\t1 kB\n"} {
		if _, _, err := ParseStatus([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseStatus(%q) err = %v, want ErrFormat", bad, err)
		}
	}
}

// TestReadSelf checks the numbers against what the process knows of itself.
func TestReadSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the kernel has accounted at least two ticks more.
	x := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for i := range 1_000_000 {
			x += i
		}
		if u, _ := Read(os.Getpid()); u.CPU >= before.CPU+2*time.Second/ClockTicks {
			break
		}
	}
	after, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU <= before.CPU {
		t.Errorf("CPU did not grow: %v -> %v (x=%d)", before.CPU, after.CPU, x)
	}
	if after.RSS <= 0 || after.PeakRSS < after.RSS {
		t.Errorf("RSS %d, peak %d: want 0 < RSS <= peak", after.RSS, after.PeakRSS)
	}
}

// TestReadTreeCountsChildren runs a child that burns CPU and checks the
// tree's CPU includes it once it has exited.
func TestReadTreeCountsChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	before, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	self, _ := Read(os.Getpid())
	cmd := exec.Command(sh, "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	after, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	selfAfter, _ := Read(os.Getpid())
	childCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	grown := (after.CPU - before.CPU) - (selfAfter.CPU - self.CPU)
	if childCPU >= 3*time.Second/ClockTicks && grown < childCPU/2 {
		t.Errorf("tree CPU grew by %v besides this process, the child used %v", grown, childCPU)
	}
	if after.CPU < before.CPU {
		t.Errorf("tree CPU went down: %v -> %v", before.CPU, after.CPU)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("1234 (enricher) S 99 1234 1234 0 -1 4194560 5000 0 0 0 250 40 3 1 20 0 9 0")
	f.Add("7 (a) b (c)) R 1 7")
	f.Fuzz(func(t *testing.T, in string) {
		st, err := ParseStat([]byte(in))
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		if err == nil && st.PPID < 0 {
			t.Fatalf("negative parent %d", st.PPID)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add("VmHWM:\t1 kB\nVmRSS:\t1 kB\n")
	f.Fuzz(func(t *testing.T, in string) {
		rss, peak, err := ParseStatus([]byte(in))
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		if err == nil && (rss < 0 || peak < 0) {
			t.Fatalf("negative sizes %d %d", rss, peak)
		}
	})
}

func TestParseMachineBusy(t *testing.T) {
	in := "cpu  100 5 50 9000 20 3 2 1 40 0\ncpu0 50 2 25 4500 10 1 1 0 20 0\n"
	got, err := ParseMachineBusy([]byte(in))
	want := time.Duration(100+5+50+3+2) * time.Second / ClockTicks
	if err != nil || got != want {
		t.Fatalf("ParseMachineBusy = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "intr 1 2 3 4 5", "cpu 1 2 x 4 5"} {
		if _, err := ParseMachineBusy([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseMachineBusy(%q) err = %v, want ErrFormat", bad, err)
		}
	}
	if runtime.GOOS == "linux" {
		if b, err := MachineBusy(); err != nil || b <= 0 {
			t.Errorf("MachineBusy = %v, %v", b, err)
		}
	}
}
