//! keepalived's signals as a stream of [`Signal`]s (docs/keepalived-compat.md#signals).
//!
//! Handlers are installed by [`Signals::install`], which the shell calls early, before any
//! socket is opened (a SIGHUP arriving during start-up must not kill the daemon, hickory's
//! "signals are registered early"). After that the default actions of these signals are
//! replaced for the life of the process.

use tokio::signal::unix::{signal, SignalKind};

use super::SysError;

/// SIGRTMIN+2 with glibc (SIGRTMIN is 34 because glibc reserves 32 and 33); keepalived's
/// `SIGJSON`.
pub const SIGJSON: i32 = 36;
/// SIGRTMAX-1; keepalived's `SIGSTATS_CLEAR`.
pub const SIGSTATS_CLEAR: i32 = 63;

/// What a signal asks the daemon to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// SIGHUP: reload the configuration.
    Reload,
    /// SIGTERM, SIGINT: graceful shutdown (docs/keepalived-compat.md#shutdown).
    Stop,
    /// SIGUSR1: write `keepalived.data`.
    Data,
    /// SIGUSR2: write `keepalived.stats`.
    Stats,
    /// SIGRTMAX-1 (63): write `keepalived.stats`, then zero the counters.
    StatsClear,
    /// SIGRTMIN+2 (36): write `keepalived.json`.
    Json,
}

impl Signal {
    /// The meaning of signal number `signo`, if it is one of keepalived's.
    pub fn from_raw(signo: i32) -> Option<Signal> {
        Some(match signo {
            libc::SIGHUP => Signal::Reload,
            libc::SIGTERM | libc::SIGINT => Signal::Stop,
            libc::SIGUSR1 => Signal::Data,
            libc::SIGUSR2 => Signal::Stats,
            SIGSTATS_CLEAR => Signal::StatsClear,
            SIGJSON => Signal::Json,
            _ => return None,
        })
    }
}

/// Every signal number [`Signals`] listens to.
pub const HANDLED: [i32; 7] = [
    libc::SIGHUP,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    SIGSTATS_CLEAR,
    SIGJSON,
];

/// Blocks every signal of [`HANDLED`] in the calling thread (threads started later inherit
/// the mask). The daemon calls this first thing, before it reads the configuration: until the
/// handlers exist a SIGHUP or SIGTERM would otherwise kill the process with the default
/// action. A blocked signal stays pending (one of each kind) and is delivered by
/// [`unblock_handled`] once [`Signals::install`] has put the handlers in place.
pub fn block_handled() -> Result<(), SysError> {
    set_mask(libc::SIG_BLOCK)
}

/// Undoes [`block_handled`]; pending signals are delivered now (to the installed handlers).
/// Must run before any child process is started: children inherit the mask.
pub fn unblock_handled() -> Result<(), SysError> {
    set_mask(libc::SIG_UNBLOCK)
}

fn set_mask(how: libc::c_int) -> Result<(), SysError> {
    // SAFETY: sigset_t is plain data initialised by sigemptyset before use; pthread_sigmask
    // only reads it and changes this thread's mask.
    let rc = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signo in HANDLED {
            libc::sigaddset(&mut set, signo);
        }
        libc::pthread_sigmask(how, &set, std::ptr::null_mut())
    };
    match rc {
        0 => Ok(()),
        errno => Err(SysError::io(
            "change the signal mask",
            std::io::Error::from_raw_os_error(errno),
        )),
    }
}

/// The installed handlers.
#[derive(Debug)]
pub struct Signals {
    streams: Vec<(Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Installs handlers for all of [`HANDLED`]. Must be called inside a tokio runtime.
    pub fn install() -> Result<Signals, SysError> {
        let mut streams = Vec::with_capacity(HANDLED.len());
        for signo in HANDLED {
            let meaning = Signal::from_raw(signo).ok_or_else(|| {
                SysError::io(
                    format!("map signal {signo}"),
                    std::io::Error::from_raw_os_error(libc::EINVAL),
                )
            })?;
            let stream = signal(SignalKind::from_raw(signo))
                .map_err(|e| SysError::io(format!("install a handler for signal {signo}"), e))?;
            streams.push((meaning, stream));
        }
        Ok(Signals { streams })
    }

    /// The next signal received. Never returns `None` while the runtime runs. Cancel safe.
    pub async fn recv(&mut self) -> Option<Signal> {
        std::future::poll_fn(|cx| {
            for (meaning, stream) in &mut self.streams {
                match stream.poll_recv(cx) {
                    std::task::Poll::Ready(Some(())) => {
                        return std::task::Poll::Ready(Some(*meaning))
                    }
                    std::task::Poll::Ready(None) => return std::task::Poll::Ready(None),
                    std::task::Poll::Pending => {}
                }
            }
            std::task::Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_signal_numbers() {
        assert_eq!(Signal::from_raw(1), Some(Signal::Reload));
        assert_eq!(Signal::from_raw(15), Some(Signal::Stop));
        assert_eq!(Signal::from_raw(2), Some(Signal::Stop));
        assert_eq!(Signal::from_raw(10), Some(Signal::Data));
        assert_eq!(Signal::from_raw(12), Some(Signal::Stats));
        assert_eq!(Signal::from_raw(63), Some(Signal::StatsClear));
        assert_eq!(Signal::from_raw(36), Some(Signal::Json));
        assert_eq!(Signal::from_raw(9), None);
        assert_eq!(libc::SIGRTMAX() - 1, SIGSTATS_CLEAR);
        assert_eq!(libc::SIGRTMIN() + 2, SIGJSON);
    }
}
