// The pod sandbox ("pause") process: holds the pod's namespaces, reaps orphaned children
// (it is PID 1 when the pod shares its PID namespace) and exits on SIGINT/SIGTERM.
// Built by scripts/k8s-cluster.sh into a one-file image, so the node needs no registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
