//! The daemon on a kernel at the support floor (Linux 3.10, README "Support floor"): every
//! system call newer than 3.10 answers ENOSYS, as it would there, and the fallbacks of
//! src/sys/kernel_floor.rs keep their guarantees.
//!
//! The test thread installs a seccomp filter on itself (never on the other test threads: a
//! filter without TSYNC belongs to the thread that installs it) before it starts the daemons,
//! so `ip netns exec`, vrrpd, its threads and its scripts all inherit it. A bash wrapper hands
//! vrrpd two descriptors without close-on-exec, one low and one above the soft descriptor
//! limit, as a careless parent could; notify scripts list their descriptors.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::lab::{config, tag, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";

/// x86_64's last system call in Linux 3.10 is finit_module (313); 314 (sched_setattr, 3.14)
/// and everything after it is newer than the floor: close_range, getrandom, statx, clone3,
/// pidfd_*, rseq, openat2, ...
const FIRST_NEWER_THAN_3_10: u32 = 314;
const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
/// A descriptor number above the soft limit the wrapper sets (and below the hard limit of a
/// test machine without CAP_SYS_RESOURCE, 20000 here).
const HIGH_FD: u32 = 15000;

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Makes every x86_64 system call numbered from [`FIRST_NEWER_THAN_3_10`] up fail with ENOSYS
/// for this thread and everything it starts from now on.
fn enosys_for_newer_syscalls() {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    // struct seccomp_data { int nr; __u32 arch; ... }
    let mut prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 2),
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        jump(BPF_JMP | BPF_JGE | BPF_K, FIRST_NEWER_THAN_3_10, 1, 0),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | (libc::ENOSYS as u32 & libc::SECCOMP_RET_DATA),
        ),
    ];
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls; the kernel copies the program.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &fprog as *const libc::sock_fprog,
            ),
            0,
            "seccomp: {}",
            std::io::Error::last_os_error()
        );
        // The filter is in place: close_range now fails as on 3.10.
        let r = libc::syscall(libc::SYS_close_range, u32::MAX, u32::MAX, 0u32);
        assert_eq!(r, -1);
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::ENOSYS)
        );
    }
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `fd target` lines the notify scripts wrote into `dir` (one file per run).
fn listings(dir: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).expect("listing dir").flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        v.push((e.file_name().to_string_lossy().into_owned(), text));
    }
    v
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
#[test]
fn pair_elects_fails_over_and_runs_scripts_with_syscalls_newer_than_3_10_failing() {
    let mut lab = Lab::new(&tag("oldkern", "k"), 2);
    let fds = lab.dir.join("fds");
    std::fs::create_dir_all(&fds).expect("fds dir");
    // Each run lists the descriptors its shell has, with their targets.
    let notify = lab.dir.join("notify.sh");
    write_exec(
        &notify,
        &format!(
            "#!/bin/sh\nout={dir}/$3.$$\nls -l /proc/$$/fd/ >$out.tmp\nmv $out.tmp $out\n",
            dir = fds.display()
        ),
    );
    // Descriptors 7 and 15000 without close-on-exec, as a careless parent hands them down,
    // and a soft limit lowered below 15000 afterwards: a loop up to the soft limit would miss it.
    let wrapper = lab.dir.join("careless-parent.sh");
    write_exec(
        &wrapper,
        &format!(
            "#!/bin/bash\nexec 7</etc/hostname {HIGH_FD}</etc/hostname || exit 99\n\
             ulimit -Sn 1024 || exit 98\nexec {} \"$@\"\n",
            Daemon::Vrrpd.program()
        ),
    );

    enosys_for_newer_syscalls();

    let vip = format!("{VIP}/24 dev eth0");
    for (i, prio) in [(0usize, 150u8), (1, 100)] {
        let inst = Instance::v3("VI_1", 51, prio, "0.2")
            .vip(&vip)
            .extra(&format!("notify {}", notify.display()));
        let text = config(&format!("r{i}"), &[inst]);
        lab.start_program(
            i,
            Daemon::Vrrpd,
            &wrapper.to_string_lossy(),
            &text,
            &[],
            &[],
        );
    }
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    // The probe saw the filter (-D line of src/sys/kernel_floor.rs).
    for i in 0..2 {
        let log = lab.log(i);
        assert!(
            log.contains("Script descriptors closed with the /proc/self/fd list"),
            "r{i} did not take the fallback:\n{log}"
        );
        assert!(log.contains("getrandom unavailable"), "r{i}:\n{log}");
    }
    // The daemon itself still has both descriptors (the wrapper did its part).
    let daemon_fds = std::fs::read_dir(format!("/proc/{}/fd", lab.pid(0)))
        .expect("daemon fds")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(
        daemon_fds.iter().any(|f| *f == HIGH_FD.to_string()) && daemon_fds.iter().any(|f| f == "7"),
        "{daemon_fds:?}"
    );

    // Fail over: SIGTERM of the master, r1 takes over and runs its MASTER script.
    lab.signal(0, Signal::SIGTERM);
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(
        st.is_some_and(|s| s.success()),
        "r0 exit: {st:?}\n{}",
        lab.log(0)
    );
    wait_until("r1's MASTER notify", Duration::from_secs(5), || {
        listings(&fds)
            .iter()
            .filter(|(n, _)| n.starts_with("MASTER."))
            .count()
            >= 2
    });
    // And it stops cleanly too, releasing the VIP.
    lab.signal(1, Signal::SIGTERM);
    let st = lab.wait_exit(1, Duration::from_secs(5));
    assert!(
        st.is_some_and(|s| s.success()),
        "r1 exit: {st:?}\n{}",
        lab.log(1)
    );
    lab.wait_holders(VIP, &[], Duration::from_secs(2));

    // Every run of the script had 0, 1 and 2 (/dev/null) and what the shell opened itself
    // (its script file, its output file, a saved copy of /dev/null); nothing of the daemon's:
    // no socket, pipe, log file or the wrapper's /etc/hostname.
    let runs = listings(&fds);
    assert!(runs.len() >= 3, "{runs:?}");
    for (name, text) in &runs {
        for line in text.lines().filter(|l| l.contains(" -> ")) {
            let (left, target) = line.split_once(" -> ").unwrap_or_default();
            let fd = left.split_whitespace().last().unwrap_or_default();
            let ok = target == "/dev/null"
                || target == notify.to_string_lossy()
                || target.starts_with(&*fds.to_string_lossy());
            assert!(
                ok,
                "{name}: descriptor {fd} -> {target} leaked into the script:\n{text}"
            );
        }
    }
}
