package main

import (
	"os/exec"
	"syscall"
)

// execCmd is a command run as another user, collecting its output.
type execCmd struct {
	*exec.Cmd
	logs *syncBuffer
}

func newExecCmd(exe string, args []string, dir string, env []string, uid uint32) *execCmd {
	c := exec.Command(exe, args...)
	c.Dir = dir
	c.Env = env
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	ec := &execCmd{Cmd: c, logs: &syncBuffer{}}
	return ec
}
