//! Writes the vrrpd(8) man page and the bash, zsh and fish completions into a directory:
//! `cargo run --example gen-docs -- OUTDIR` (packaging/build-deb.sh runs it for every package).
//!
//! Both come from `Cli::command()`, the same clap definition `vrrpd --help` prints, so the
//! options in the man page cannot drift from the binary: whatever flag or subcommand is added
//! to src/cli.rs appears here at the next package build (tests/package.rs checks every long
//! flag is in the page). Only the sections clap cannot know (exit status, signals, files,
//! environment, differences, examples) are written by hand below, in roff.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use vrrpd::cli::Cli;

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/deb-assets"));
    if let Err(e) = generate(&out) {
        eprintln!("gen-docs: {}: {e}", out.display());
        std::process::exit(1);
    }
}

/// Public because tests/package.rs includes this file to check the page without a package.
pub fn generate(out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out.join("completions"))?;
    let mut page = Vec::new();
    man_page(&mut page)?;
    std::fs::write(out.join("vrrpd.8"), page)?;
    for (shell, file) in [
        (Shell::Bash, "vrrpd"),
        (Shell::Zsh, "_vrrpd"),
        (Shell::Fish, "vrrpd.fish"),
    ] {
        let mut f = std::fs::File::create(out.join("completions").join(file))?;
        clap_complete::generate(shell, &mut Cli::command(), "vrrpd", &mut f);
        f.flush()?;
    }
    Ok(())
}

/// clap_mangen's sections (name, synopsis, description, options, subcommands), then ours
/// before the version line.
fn man_page(w: &mut dyn Write) -> std::io::Result<()> {
    let cmd = Cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .long_about(DESCRIPTION);
    let man = clap_mangen::Man::new(cmd.clone())
        .section("8")
        .source(concat!("vrrpd ", env!("CARGO_PKG_VERSION")))
        .manual("System Manager's Manual");
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
        subcommand_options(&cmd, w)?;
    }
    w.write_all(HAND_WRITTEN.as_bytes())?;
    man.render_version_section(w)?;
    Ok(())
}

/// Each client subcommand's own options (clap_mangen lists the subcommands by name only), so
/// every flag `vrrpd --help` knows is in the page.
fn subcommand_options(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, ".SH \"SUBCOMMAND OPTIONS\"")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(w, ".SS \"vrrpd {}\"", sub.get_name())?;
        if let Some(about) = sub.get_about() {
            writeln!(w, "{}", roff_text(&about.to_string()))?;
        }
        for a in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let name = match (a.get_long(), a.get_short()) {
                (Some(l), Some(c)) => format!("\\fB\\-{c}\\fR, \\fB\\-\\-{l}\\fR"),
                (Some(l), None) => format!("\\fB\\-\\-{l}\\fR"),
                (None, _) => format!("\\fI{}\\fR", a.get_id().as_str().to_uppercase()),
            };
            writeln!(w, ".TP\n{name}")?;
            if let Some(help) = a.get_help() {
                writeln!(w, "{}", roff_text(&help.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Text for a roff paragraph: backslashes and minus signs escaped, no line starting with a
/// control character.
fn roff_text(text: &str) -> String {
    let t = text.replace('\\', "\\\\").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

const DESCRIPTION: &str = "vrrpd implements VRRP (RFC 5798, versions 2 and 3) for virtual IP \
addresses shared by a group of routers or load balancers. It reads keepalived's configuration \
file syntax (vrrp_instance, vrrp_script, track_* and notify scripts), accepts keepalived's \
command line and answers keepalived's signals, so it can replace keepalived's VRRP part on a \
node without other changes. LVS, BFD and SNMP options are accepted and ignored.";

/// The sections clap cannot generate. Plain roff: `.SH` titles, `.TP` tagged paragraphs,
/// `\-` for a literal minus (so `man` does not turn it into a hyphen).
const HAND_WRITTEN: &str = r#".SH "EXIT STATUS"
As the daemon:
.TP
.B 0
stopped on SIGTERM or SIGINT.
.TP
.B 1
a fatal operating system error (privileges, sockets, netlink, pid file, another vrrpd running).
.TP
.B 2
the configuration cannot run (keepalived's permanent CONFIG error); systemd does not restart it.
.TP
.B 6
the configuration file cannot be read; systemd does not restart it.
.TP
.B 70
an internal error; the virtual addresses were released first.
.PP
With \fB\-\-check\-config\fR or \fB\-t\fR:
.B 0
no errors (warnings are printed),
.B 1
errors found (or warnings with \fB\-\-strict\fR),
.B 2
the configuration could not be read at all.
.SH SIGNALS
.TP
.B SIGHUP
reload: the new configuration is checked first; when it has errors the running one is kept.
.TP
.B SIGTERM\fR, \fPSIGINT
graceful stop: a priority 0 advertisement, the virtual addresses removed (unless \fB\-V\fR).
.TP
.B SIGUSR1
write \fI/tmp/keepalived.data\fR.
.TP
.B SIGUSR2
write \fI/tmp/keepalived.stats\fR.
.TP
.B SIGRTMAX\-1
write the statistics, then clear the counters.
.TP
.B SIGRTMIN+2
write \fI/tmp/keepalived.json\fR.
.PP
\fB\-\-signum\fR prints the number of each.
Dump files go to \fB$TMPDIR\fR instead of \fI/tmp\fR when it is an absolute path.
.SH FILES
.TP
.I /etc/keepalived/keepalived.conf
the configuration, in keepalived's syntax (\fB\-f\fR to use another).
.TP
.I /etc/default/keepalived
\fBDAEMON_ARGS\fR, options shared with keepalived (read by the systemd unit).
.TP
.I /etc/default/vrrpd
\fBVRRPD_ARGS\fR, options only vrrpd knows (read by the systemd unit).
.TP
.I /run/vrrpd.pid
the pid file (\fB\-p\fR to change it).
.TP
.I /lib/systemd/system/vrrpd.service
the systemd unit; it conflicts with keepalived.service.
.TP
.I /usr/share/doc/vrrpd/
the README, the differences from keepalived and example configurations.
.SH ENVIRONMENT
.TP
.B NOTIFY_SOCKET
set by systemd; vrrpd reports READY=1, RELOADING=1, STOPPING=1 and its status there.
.TP
.B WATCHDOG_USEC
set by systemd with WatchdogSec=; vrrpd sends WATCHDOG=1 within the interval.
.TP
.B TMPDIR
directory of the dump files when absolute.
.TP
.B DAEMON_ARGS\fR, \fPVRRPD_ARGS
read from the files above by the systemd unit only, not by vrrpd.
.SH "DIFFERENCES FROM KEEPALIVED"
vrrpd is one process (no checker, BFD or SNMP children); LVS, BFD and SNMP options and
configuration blocks are accepted and ignored with a warning.
Every configuration keepalived accepts cleanly means the same to vrrpd and the wire protocol is
unchanged.
\fB\-\-check\-config\fR reports every problem with file, line and column.
The full list is in
.I /usr/share/doc/vrrpd/differences.md\fR.
Keep options only vrrpd knows out of \fBDAEMON_ARGS\fR: keepalived exits on an unknown option,
which would break a rollback; put them in \fBVRRPD_ARGS\fR.
.SH EXAMPLES
Check a configuration, as in CI:
.PP
.RS
.nf
vrrpd \-\-check\-config \-f /etc/keepalived/keepalived.conf
vrrpd \-\-check\-config \-\-format github \-f keepalived.conf
.fi
.RE
.PP
Replace keepalived on one node, then roll back:
.PP
.RS
.nf
systemctl disable \-\-now keepalived && systemctl enable \-\-now vrrpd
systemctl disable \-\-now vrrpd && systemctl enable \-\-now keepalived
.fi
.RE
.PP
Run in the foreground with logs on the console:
.PP
.RS
.nf
vrrpd \-n \-l \-D
.fi
.RE
"#;
