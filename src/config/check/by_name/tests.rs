use super::matcher::{find, Invocation, Kind, Sig, Target};
use super::shell::commands;
use super::{named_scripts, Runner};

/// Each finding of one script line: its kind and the text it covers.
fn scan(line: &str) -> Vec<(Kind, &str)> {
    find(&commands(line))
        .into_iter()
        .map(|f| {
            let text = line.get(f.start..f.end).unwrap_or("?");
            (f.kind, text)
        })
        .collect()
}

fn one(line: &str) -> (Kind, &str) {
    let mut all = scan(line);
    assert_eq!(all.len(), 1, "{line}: {all:?}");
    all.remove(0)
}

fn signal(sig: Sig, target: Target) -> Kind {
    Kind::Signal { sig, target }
}

fn service(verb: &str) -> Kind {
    Kind::Service { verb: verb.into() }
}

#[test]
fn stop_signals_by_name() {
    assert_eq!(
        one("killall keepalived"),
        (signal(Sig::Term, Target::Name), "killall keepalived")
    );
    assert_eq!(
        one("    /usr/bin/killall -9 keepalived"),
        (
            signal(Sig::Kill, Target::Name),
            "/usr/bin/killall -9 keepalived"
        )
    );
    assert_eq!(
        one("pkill -x keepalived"),
        (signal(Sig::Term, Target::Name), "pkill -x keepalived")
    );
    assert_eq!(
        one("killall -s KILL keepalived && exit 1").0,
        signal(Sig::Kill, Target::Name)
    );
    assert_eq!(
        one("killall -KILL keepalived").0,
        signal(Sig::Kill, Target::Name)
    );
    assert_eq!(
        one("pkill --signal SIGHUP '^keepalived$'").0,
        signal(Sig::Hup, Target::Name)
    );
    assert_eq!(
        one("pkill -USR1 -u root keepalived").0,
        signal(Sig::Usr1, Target::Name)
    );
    // pkill's -s is the session, not the signal.
    assert_eq!(
        one("pkill -s 0 keepalived").0,
        signal(Sig::Term, Target::Name)
    );
    assert_eq!(
        one("killall nginx keepalived >/dev/null 2>&1"),
        (signal(Sig::Term, Target::Name), "killall nginx keepalived")
    );
    assert_eq!(
        one("sudo -u root killall keepalived").1,
        "killall keepalived"
    );
    assert_eq!(
        one("if true; then killall keepalived; fi").1,
        "killall keepalived"
    );
}

#[test]
fn kill_of_a_lookup_or_pid_file_is_one_finding() {
    assert_eq!(
        one("kill $(pidof keepalived)"),
        (
            signal(Sig::Term, Target::Lookup),
            "kill $(pidof keepalived)"
        )
    );
    assert_eq!(
        one("kill -9 `pidof keepalived`"),
        (
            signal(Sig::Kill, Target::Lookup),
            "kill -9 `pidof keepalived`"
        )
    );
    assert_eq!(
        one("kill -HUP $(cat /var/run/keepalived.pid)"),
        (
            signal(Sig::Hup, Target::PidFile),
            "kill -HUP $(cat /var/run/keepalived.pid)"
        )
    );
    assert_eq!(
        one("kill -0 \"$(cat /run/keepalived.pid)\"").0,
        Kind::Lookup
    );
    assert_eq!(
        one("kill -s $(keepalived --signum=RELOAD) $(cat /run/keepalived.pid)").0,
        signal(Sig::Hup, Target::PidFile)
    );
    assert_eq!(
        one("kill -s $(keepalived --signum=JSON) `pidof keepalived`").0,
        signal(Sig::Json, Target::Lookup)
    );
    assert_eq!(
        one("kill -s \"$SIG\" $(pidof keepalived)").0,
        signal(Sig::Unknown("$SIG".into()), Target::Lookup)
    );
    assert_eq!(
        one("pkill -F /run/keepalived.pid").0,
        signal(Sig::Term, Target::PidFile)
    );
}

#[test]
fn pid_lookups() {
    for (line, text) in [
        ("pidof keepalived", "pidof keepalived"),
        ("PID=$(pidof -s keepalived)", "pidof -s keepalived"),
        (
            "if [ -z \"`pgrep -x keepalived`\" ]; then",
            "pgrep -x keepalived",
        ),
        (
            "A=`ps -C keepalived --no-header | wc -l`",
            "ps -C keepalived",
        ),
        ("ps -Cnginx,keepalived -o pid=", "ps -Cnginx,keepalived"),
        ("killall -0 keepalived || exit 1", "killall -0 keepalived"),
    ] {
        assert_eq!(one(line), (Kind::Lookup, text), "{line}");
    }
    // Patterns on whole command lines may match vrrpd's `-f /etc/keepalived/...` too.
    for (line, text) in [
        (
            "ps -ef | grep keepalived | grep -v grep",
            "ps -ef | grep keepalived",
        ),
        (
            "ps aux | grep -c '[k]eepalived'",
            "ps aux | grep -c '[k]eepalived'",
        ),
        ("pgrep -f keepalived", "pgrep -f keepalived"),
        (
            "pgrep -fx /usr/sbin/keepalived",
            "pgrep -fx /usr/sbin/keepalived",
        ),
    ] {
        assert_eq!(one(line), (Kind::LookupCommandLine, text), "{line}");
    }
    assert_eq!(
        one("pkill -f keepalived").0,
        signal(Sig::Term, Target::CommandLine)
    );
}

#[test]
fn service_managers_with_their_verb() {
    assert_eq!(
        one("systemctl restart keepalived"),
        (service("restart"), "systemctl restart keepalived")
    );
    assert_eq!(
        one("/bin/systemctl --no-block stop keepalived.service").0,
        service("stop")
    );
    assert_eq!(
        one("systemctl -q is-active nginx keepalived").0,
        service("is-active")
    );
    assert_eq!(
        one("service keepalived reload"),
        (service("reload"), "service keepalived reload")
    );
    assert_eq!(
        one("/etc/init.d/keepalived stop"),
        (service("stop"), "/etc/init.d/keepalived stop")
    );
    assert_eq!(
        one("invoke-rc.d --quiet keepalived restart").0,
        service("restart")
    );
}

#[test]
fn binary_queries_and_pid_file() {
    assert_eq!(
        one("keepalived -v 2>&1 | head -1"),
        (Kind::Invoke(Invocation::Version), "keepalived -v")
    );
    assert_eq!(
        one("/usr/sbin/keepalived --signum=RELOAD").0,
        Kind::Invoke(Invocation::Signum("RELOAD".into()))
    );
    assert_eq!(
        one("keepalived --signum JSON").1,
        "keepalived --signum JSON"
    );
    assert_eq!(
        one("[ -f /var/run/keepalived.pid ] || exit 1"),
        (Kind::PidFile, "[ -f /var/run/keepalived.pid ]")
    );
    assert_eq!(one("read pid < /run/keepalived.pid").0, Kind::PidFile);
}

#[test]
fn no_false_positives() {
    for line in [
        "grep keepalived /var/log/syslog",
        "echo keepalived",
        "echo 'killall keepalived'",
        "cat /etc/keepalived/keepalived.conf",
        "vi /etc/keepalived/keepalived.conf",
        "pidof nginx",
        "killall nginx",
        "pkill -f keepalived.conf.bak",
        "ps -C nginx --no-header",
        "systemctl restart nginx",
        "service nginx reload",
        "# killall keepalived",
        "   # systemctl stop keepalived",
        "logger \"stopping keepalived\"",
        "grep -q keepalived /proc/1/comm",
        "echo stop > /tmp/keepalived.state",
        "ps -ef | grep nginx",
        "A=`ps -C nginx --no-header | wc -l`",
    ] {
        assert_eq!(scan(line), vec![], "{line}");
    }
}

/// Findings of a configured command string: kind and the words covered.
fn command_string(cmd: &str) -> Vec<(Kind, String)> {
    super::command_string(cmd)
        .into_iter()
        .map(|f| (f.kind, f.text))
        .collect()
}

#[test]
fn configured_command_strings_are_split_like_the_daemon() {
    let kinds: Vec<_> = command_string("/usr/bin/systemctl restart keepalived")
        .into_iter()
        .collect();
    assert_eq!(
        kinds,
        vec![(
            service("restart"),
            "/usr/bin/systemctl restart keepalived".into()
        )]
    );
    let kinds = command_string("killall -0 keepalived");
    assert_eq!(kinds, vec![(Kind::Lookup, "killall -0 keepalived".into())]);
    // No shell runs it: `;` is a word, `$(...)` is literal text.
    assert!(command_string("/bin/echo $(pidof keepalived)").is_empty());
    let kinds = command_string("/bin/sh -c 'sleep 1; killall keepalived'");
    assert_eq!(
        kinds,
        vec![(signal(Sig::Term, Target::Name), "killall keepalived".into())]
    );
    // The shell's script is what runs: one finding, not a second one for `sh` itself.
    let kinds = command_string("/bin/sh -c 'kill -HUP $(cat /run/keepalived.pid)'");
    assert_eq!(
        kinds,
        vec![(
            signal(Sig::Hup, Target::PidFile),
            "kill -HUP $(cat /run/keepalived.pid)".into()
        )]
    );
    // Where the finding is written, when that is plain to see.
    let at = |cmd: &str| {
        super::command_string(cmd)
            .into_iter()
            .map(|f| f.at)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        at("/bin/sh -c 'sleep 1; killall keepalived'"),
        vec![Some((21, 39))]
    );
    assert_eq!(at("killall  keepalived"), vec![None]);
    assert_eq!(at("killall keepalived"), vec![Some((0, 18))]);
    let kinds = command_string("/bin/cat /var/run/keepalived.pid");
    assert_eq!(
        kinds,
        vec![(Kind::PidFile, "/bin/cat /var/run/keepalived.pid".into())]
    );
}

#[test]
fn named_scripts_are_listed_once_with_their_runners() {
    let text = "vrrp_script chk {\n    script \"/root/check.sh\"\n}\n\
        vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 1\n\
        track_script {\n        chk\n    }\n\
        notify_master \"/root/check.sh master\"\n\
        notify_backup \"/bin/bash /etc/keepalived/backup.sh\"\n\
        notify_fault \"relative.sh\"\n\
        virtual_ipaddress {\n        10.0.0.1\n    }\n}\n";
    let loaded = crate::config::load_str(text);
    let config = loaded.config.expect("config");
    let scripts = named_scripts(&config);
    let listed: Vec<(String, Vec<String>)> = scripts
        .iter()
        .map(|s| {
            (
                s.path.display().to_string(),
                s.runners.iter().map(Runner::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "/root/check.sh".to_string(),
                vec![
                    "vrrp_script chk".to_string(),
                    "notify_master of VI_1".to_string()
                ]
            ),
            (
                "/bin/bash".to_string(),
                vec!["notify_backup of VI_1".to_string()]
            ),
            (
                "/etc/keepalived/backup.sh".to_string(),
                vec!["notify_backup of VI_1".to_string()]
            ),
        ]
    );
}

#[test]
fn long_runner_lists_are_counted() {
    let runners: Vec<Runner> = (1..=5)
        .map(|i| Runner::Notify {
            keyword: "notify",
            owner: format!("VI_{i}"),
        })
        .collect();
    assert_eq!(super::listing(&runners[..1]), "notify of VI_1");
    assert_eq!(
        super::listing(&runners[..2]),
        "notify of VI_1 and notify of VI_2"
    );
    assert_eq!(
        super::listing(&runners),
        "notify of VI_1, notify of VI_2, notify of VI_3 and 2 more"
    );
}

#[test]
fn nested_kills_are_scanned_in_linear_time() {
    // Each level is looked into once: 2^depth work here would not finish.
    let line = "kill $(".repeat(15) + "pidof keepalived" + &")".repeat(15);
    let found = scan(&line);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, signal(Sig::Term, Target::Lookup));
    let line = "kill $(".repeat(15) + "x" + &")".repeat(15);
    assert!(scan(&line).is_empty());
}

#[test]
fn arbitrary_text_never_panics_and_long_pipelines_are_linear() {
    const ALPHABET: &[&str] = &[
        " ",
        "\t",
        "'",
        "\"",
        "`",
        "$(",
        "(",
        ")",
        "\\",
        "#",
        ";",
        "&",
        "|",
        "<",
        ">",
        "2>",
        "{",
        "}",
        "=",
        "-9",
        "-s",
        "kill",
        "killall",
        "pidof",
        "ps",
        "-C",
        "grep",
        "systemctl",
        "service",
        "keepalived",
        "/run/keepalived.pid",
        "é",
        "\u{0}",
    ];
    // A fixed linear congruential sequence: the same cases every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..2000 {
        let mut line = String::new();
        for _ in 0..40 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let pick = (x >> 33) as usize % ALPHABET.len();
            line.push_str(ALPHABET.get(pick).copied().unwrap_or(" "));
        }
        for f in find(&commands(&line)) {
            assert!(line.get(f.start..f.end).is_some(), "{line:?} {f:?}");
        }
    }
    let line = "ps|".repeat(30_000) + "grep keepalived";
    assert_eq!(scan(&line).len(), 1);
}
