//! Reading a container's CRI-format log (`<time> <stream> <P|F> <content>` per line, written
//! by its shim) the way `kubectl logs` asks for it: whole lines rebuilt from partial ones,
//! optionally with their timestamps, only those since a time, only the last N, at most N
//! bytes — and, with `follow`, what is appended until the container exits.

use std::path::{Path, PathBuf};

/// `kubectl logs` options (the kubelet's `containerLogs` query).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub since: Option<jiff::Timestamp>,
    pub limit_bytes: Option<usize>,
}

impl LogOptions {
    /// From a query string (`follow=true&tailLines=10&sinceSeconds=60`…).
    pub fn from_query(query: &str) -> Result<LogOptions, String> {
        let mut options = LogOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            let flag = || value.is_empty() || value == "true" || value == "1";
            let number = |what: &str| {
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| format!("{what}: must be a non-negative integer"))
            };
            match key {
                "follow" => options.follow = flag(),
                "previous" => options.previous = flag(),
                "timestamps" => options.timestamps = flag(),
                "tailLines" => {
                    options.tail_lines =
                        Some(usize::try_from(number("tailLines")?).unwrap_or(usize::MAX))
                }
                "limitBytes" => {
                    let n = number("limitBytes")?;
                    if n == 0 {
                        return Err("limitBytes: must be greater than 0".into());
                    }
                    options.limit_bytes = Some(usize::try_from(n).unwrap_or(usize::MAX));
                }
                "sinceSeconds" => {
                    let n = number("sinceSeconds")?;
                    options.since = jiff::Timestamp::now()
                        .checked_sub(jiff::SignedDuration::from_secs(n))
                        .ok();
                }
                "sinceTime" => {
                    options.since =
                        Some(value.parse().map_err(|_| {
                            format!("sinceTime: {value:?} is not an RFC 3339 time")
                        })?);
                }
                _ => {}
            }
        }
        Ok(options)
    }
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Rebuilds whole lines from CRI log text: `(time, line with its newline)`. A trailing line
/// without a newline in the file (still being written) is left out and its length
/// returned, so a follower can read it again when complete.
pub fn parse(text: &str) -> (Vec<(jiff::Timestamp, String)>, usize) {
    let mut lines = Vec::new();
    let mut partial = String::new();
    let mut partial_time: Option<jiff::Timestamp> = None;
    // Bytes up to the end of the last whole line (an `F` line, or a malformed one outside a
    // partial line): `P` lines still waiting for their `F` are not consumed.
    let mut consumed = 0;
    let mut scanned = 0;
    for raw in text.split_inclusive('\n') {
        if !raw.ends_with('\n') {
            break;
        }
        scanned += raw.len();
        let raw = &raw[..raw.len() - 1];
        let mut fields = raw.splitn(4, ' ');
        let parsed = match (fields.next(), fields.next(), fields.next()) {
            (Some(time), Some(_stream), Some(tag)) => time
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|time| (time, tag, fields.next().unwrap_or(""))),
            _ => None,
        };
        let Some((time, tag, content)) = parsed else {
            if partial.is_empty() {
                consumed = scanned;
            }
            continue;
        };
        partial_time.get_or_insert(time);
        partial.push_str(content);
        if tag == "F" {
            partial.push('\n');
            lines.push((
                partial_time.take().unwrap_or(time),
                std::mem::take(&mut partial),
            ));
            consumed = scanned;
        }
    }
    (lines, text.len() - consumed)
}

/// Renders lines per `options` (without `follow`'s later lines).
pub fn render(lines: &[(jiff::Timestamp, String)], options: &LogOptions) -> String {
    let selected: Vec<&(jiff::Timestamp, String)> = lines
        .iter()
        .filter(|(t, _)| options.since.is_none_or(|since| *t >= since))
        .collect();
    let start = options
        .tail_lines
        .map_or(0, |n| selected.len().saturating_sub(n));
    let mut out = String::new();
    for (time, line) in &selected[start..] {
        if options.timestamps {
            out.push_str(&time.to_string());
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// A pod's log directory under the agent's logs dir (`<namespace>_<pod>_<uid>`), as the
/// kubelet lays out `/var/log/pods`.
pub fn pod_dir(logs_dir: &Path, namespace: &str, pod: &str, uid: &str) -> PathBuf {
    logs_dir.join(format!("{namespace}_{pod}_{uid}"))
}

/// The log file of the container attempt with runtime ID `<uid>_<container>_<attempt>`
/// (the inverse of [`container_id_of`]).
pub fn attempt_path(logs_dir: &Path, namespace: &str, pod: &str, id: &str) -> Option<PathBuf> {
    let (rest, attempt) = id.rsplit_once('_')?;
    let (uid, container) = rest.split_once('_')?;
    Some(
        pod_dir(logs_dir, namespace, pod, uid)
            .join(container)
            .join(format!("{attempt}.log")),
    )
}

/// The log file of one container attempt under the agent's logs dir, if there is one:
/// the latest attempt, or the one before it for `previous`.
pub fn find(
    logs_dir: &Path,
    namespace: &str,
    pod: &str,
    container: &str,
    previous: bool,
) -> Option<PathBuf> {
    let prefix = format!("{namespace}_{pod}_");
    // The newest pod of that name (a replacement may coexist with one being deleted).
    let pod_dir = std::fs::read_dir(logs_dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())?
        .path();
    let mut attempts: Vec<u32> = std::fs::read_dir(pod_dir.join(container))
        .ok()?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .collect();
    attempts.sort_unstable();
    let attempt = if previous {
        *attempts.iter().rev().nth(1)?
    } else {
        *attempts.last()?
    };
    Some(pod_dir.join(container).join(format!("{attempt}.log")))
}

/// The runtime ID of the attempt a log file belongs to (`…_<uid>/<container>/<n>.log`).
pub fn container_id_of(log: &Path) -> Option<String> {
    let attempt = log.file_stem()?.to_string_lossy().into_owned();
    let container = log.parent()?.file_name()?.to_string_lossy().into_owned();
    let pod_dir = log
        .parent()?
        .parent()?
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let uid = pod_dir.rsplit('_').next()?;
    Some(format!("{uid}_{container}_{attempt}"))
}

/// Wakes when a log file is written to (inotify `IN_MODIFY`), for followers.
/// Follows one container attempt's log file: what is appended from an offset on, until the
/// container has exited and everything it wrote has been read. `kubectl logs -f` and
/// `kubectl attach` both read through it; each read takes only the new bytes.
pub struct Follower {
    file: tokio::fs::File,
    changes: Changes,
    offset: u64,
    exited: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    done: bool,
}

impl Follower {
    /// Follows `path` from byte `offset` (`None`: from its current end) while container `id`
    /// runs. The shim creates the log just after the container starts; a follower that comes
    /// first creates it (as the shim would, to append to) rather than ending at once.
    pub async fn open(
        path: &Path,
        offset: Option<u64>,
        runtime: crate::runtime::Runtime,
        id: String,
    ) -> std::io::Result<Follower> {
        use tokio::io::AsyncSeekExt;
        let mut file = tokio::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .await?;
        // Watching before the offset is taken: nothing written in between goes unnoticed.
        let changes = Changes::watch(path)
            .ok_or_else(|| std::io::Error::other("cannot watch the log file (inotify)"))?;
        let offset = match offset {
            Some(offset) => offset,
            None => file.seek(std::io::SeekFrom::End(0)).await?,
        };
        Ok(Follower {
            file,
            changes,
            offset,
            exited: Box::pin(async move {
                let _ = runtime.wait(&id).await;
            }),
            done: false,
        })
    }

    /// [`Follower::next`], or `None` as soon as `gone` completes (the client went away).
    pub async fn next_until(
        &mut self,
        gone: impl std::future::Future<Output = ()>,
    ) -> Option<Vec<u8>> {
        tokio::select! {
            () = gone => None,
            appended = self.next() => appended,
        }
    }

    /// The bytes appended since the last call, waiting for some; `None` once the container
    /// has exited and its log has been read to the end.
    pub async fn next(&mut self) -> Option<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        loop {
            let mut appended = Vec::new();
            if self
                .file
                .seek(std::io::SeekFrom::Start(self.offset))
                .await
                .is_ok()
                && let Ok(n) = self.file.read_to_end(&mut appended).await
            {
                self.offset += n as u64;
            }
            if !appended.is_empty() {
                return Some(appended);
            }
            if self.done {
                return None;
            }
            tokio::select! {
                () = &mut self.exited => self.done = true,
                () = self.changes.next() => {}
            }
        }
    }
}

pub struct Changes {
    events: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

impl Changes {
    pub fn watch(path: &Path) -> Option<Changes> {
        use rustix::fs::inotify;
        let fd =
            inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK).ok()?;
        inotify::add_watch(&fd, path, inotify::WatchFlags::MODIFY).ok()?;
        Some(Changes {
            events: crate::runtime::readable_fd(fd)?,
        })
    }

    /// Waits for the next write (every notification pending is consumed).
    pub async fn next(&self) {
        if let Ok(mut guard) = self.events.readable().await {
            let mut buffer = [std::mem::MaybeUninit::<u8>::uninit(); 1024];
            let mut reader = rustix::fs::inotify::Reader::new(guard.get_inner(), &mut buffer);
            while reader.next().is_ok() {}
            guard.clear_ready();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-11-27T10:00:00.000000001Z stdout F first\n\
2026-11-27T10:00:01Z stderr P par\n\
2026-11-27T10:00:01.5Z stderr F tial\n\
2026-11-27T10:00:02Z stdout F third\n\
2026-11-27T10:00:03Z stdout F incomp";

    #[test]
    fn partial_lines_join_and_unfinished_ones_wait() {
        let (lines, rest) = parse(LOG);
        let texts: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(texts, vec!["first\n", "partial\n", "third\n"]);
        assert_eq!(rest, "2026-11-27T10:00:03Z stdout F incomp".len());
    }

    #[test]
    fn a_partial_line_waits_for_its_end() {
        let first = "2026-11-27T10:00:01Z stdout P par\n";
        let (lines, rest) = parse(first);
        assert!(lines.is_empty());
        assert_eq!(rest, first.len());
        let (lines, rest) = parse(&format!("{first}2026-11-27T10:00:02Z stdout F tial\n"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].1, "partial\n");
        assert_eq!(rest, 0);
    }

    #[test]
    fn options_select_and_decorate() {
        let (lines, _) = parse(LOG);
        let options = LogOptions::from_query("tailLines=2&timestamps=true").unwrap_or_default();
        assert_eq!(
            render(&lines, &options),
            "2026-11-27T10:00:01Z partial\n2026-11-27T10:00:02Z third\n"
        );
        let since =
            LogOptions::from_query("sinceTime=2026-11-27T10%3A00%3A01.5Z").unwrap_or_default();
        assert_eq!(render(&lines, &since), "third\n");
        assert!(LogOptions::from_query("tailLines=-1").is_err());
        assert!(LogOptions::from_query("limitBytes=0").is_err());
    }

    #[test]
    fn log_paths_name_their_container() {
        let path = Path::new("/x/logs/default_web_0f-9c/httpd/3.log");
        assert_eq!(container_id_of(path).as_deref(), Some("0f-9c_httpd_3"));
        assert_eq!(
            attempt_path(Path::new("/x/logs"), "default", "web", "0f-9c_httpd_3").as_deref(),
            Some(path)
        );
        assert_eq!(
            attempt_path(Path::new("/x"), "default", "web", "garbage"),
            None
        );
    }
}
