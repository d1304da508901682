//! Child processes that cannot outlive the test process: each is started with `PR_SET_PDEATHSIG` from one
//! thread that lives as long as the process, so a crashed or killed test run leaves no server behind.

use std::io;
use std::process::{Child, Command};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

type Request = (Command, Sender<io::Result<Child>>);

fn spawner() -> &'static Mutex<Sender<Request>> {
    static SPAWNER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("fixture-spawner".into())
            .spawn(move || {
                // The parent-death signal fires when the thread that forked the child ends; this thread only
                // ends with the process.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawner thread");
        Mutex::new(tx)
    })
}

/// Start `cmd`; the child gets SIGKILL if this process dies.
pub fn spawn_tied(mut cmd: Command) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = channel();
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, tx))
        .map_err(|_| io::Error::other("spawner gone"))?;
    rx.recv().map_err(|_| io::Error::other("spawner gone"))?
}

/// Ask a child to stop (SIGTERM), then wait for it.
pub fn stop(child: &mut Child) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Start one of the Node.js test servers (`infra/<script>`, installed by `infra/install.sh`) with `args`, tied to
/// this process, and read the one JSON line it prints once it listens (its port, and what else it says).
pub fn node_server<I, S>(script: &str, args: I) -> (Child, serde_json::Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::BufRead;
    let path = crate::workspace_root().join("infra").join(script);
    let mut cmd = Command::new("node");
    cmd.arg(&path).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = spawn_tied(cmd).expect("start node (infra/install.sh)");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    io::BufReader::new(stdout).read_line(&mut line).expect("read what the server says once listening");
    let said = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{} said {line:?}: {e}", path.display()));
    (child, said)
}
