// The simulator's thin command client: `<home>/bin/docker` and `<home>/bin/nvidia-smi` exec it as
//
//	sim-client <tool> <sim-home> <node> <scripts-dir> args...
//
// It asks the home's command daemon (../daemon.ts) over <home>/run/sim.sock and relays the answer; when no daemon
// listens it starts one in the background and runs this call as before (node <scripts-dir>/<tool>.js), and it
// does the same for whatever the daemon does not serve. The host's behaviour is the node scripts'; this only
// saves a node start per short command.
package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// A socket path longer than this does not fit sockaddr_un (108 bytes with the NUL).
const maxSocketPath = 107

func main() {
	if len(os.Args) < 5 {
		os.Stderr.WriteString("sim-client: expected <tool> <sim-home> <node> <scripts-dir> args...\n")
		os.Exit(125)
	}
	tool, home, node, scripts, args := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5:]
	socket := filepath.Join(home, "run", "sim.sock")
	// Inside a simulated container the commands see that container's devices: only the node script knows them.
	_, inContainer := os.LookupEnv("COSMOS_SIM_CONTAINER")
	if !inContainer && len(socket) <= maxSocketPath {
		if code, served := ask(socket, tool, args); served {
			os.Exit(code)
		}
		startDaemon(home, node, scripts)
	}
	script := filepath.Join(scripts, tool+".js")
	argv := append([]string{node, script, "--sim-home", home}, args...)
	if err := syscall.Exec(node, argv, os.Environ()); err != nil {
		os.Stderr.WriteString("sim-client: cannot run " + node + ": " + err.Error() + "\n")
		os.Exit(126)
	}
}

// ask sends the call to the daemon and relays its answer; served is false when no daemon answered or it does not
// serve the call (nothing has been written then).
func ask(socket, tool string, args []string) (code int, served bool) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	// What the docker CLI resolves itself (`run -e NAME`, `--env-file`) comes from this process, not the daemon's.
	cwd, _ := os.Getwd()
	request, _ := json.Marshal(map[string]any{"tool": tool, "args": args, "env": os.Environ(), "cwd": cwd})
	if err := writeFrame(conn, 'q', request); err != nil {
		return 0, false
	}
	wrote := false
	for {
		kind, payload, err := readFrame(conn)
		if err != nil {
			if !wrote {
				return 0, false
			}
			os.Stderr.WriteString("sim-client: the simulator daemon went away mid-answer: " + err.Error() + "\n")
			return 1, true
		}
		switch kind {
		case 'f':
			return 0, false
		case 'o':
			os.Stdout.Write(payload)
			wrote = true
		case 'e':
			os.Stderr.Write(payload)
			wrote = true
		case 'x':
			code, err := strconv.Atoi(string(payload))
			if err != nil {
				return 1, true
			}
			return code, true
		}
	}
}

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	head := make([]byte, 5)
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	if _, err := w.Write(append(head, payload...)); err != nil {
		return err
	}
	return nil
}

func readFrame(r io.Reader) (byte, []byte, error) {
	head := make([]byte, 5)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, nil, err
	}
	payload := make([]byte, binary.BigEndian.Uint32(head[1:]))
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return head[0], payload, nil
}

// startDaemon starts the home's daemon in its own session, unless another call is starting one (the marker file;
// one left by a starter that died is taken over after 10 s).
func startDaemon(home, node, scripts string) {
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		return
	}
	marker := filepath.Join(run, "daemon.starting")
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if info, statErr := os.Stat(marker); statErr == nil && time.Since(info.ModTime()) > 10*time.Second {
			os.Remove(marker)
		}
		return
	}
	f.Close()
	cmd := exec.Command(node, filepath.Join(scripts, "daemon.js"), "--sim-home", home)
	cmd.Dir = home
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		os.Remove(marker)
		return
	}
	cmd.Process.Release()
}
