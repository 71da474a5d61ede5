//! The HTTP load generator's parts and the /proc readings that crud_throughput and soak share: a
//! keep-alive HTTP/1.1 connection that writes raw requests and reads answers up to their
//! Content-Length (cheap on purpose: the load generator shares the machine with what it measures),
//! nearest-rank percentiles, and processes' CPU time and memory. Linux only.
//!
//! A benchmark includes it with `#[path = "common/load.rs"] mod load;` next to `mod common;`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::BoxError;

/// `write!` into a byte buffer.
pub struct Writer<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

pub struct HttpConnection {
    stream: TcpStream,
    /// Bytes read and not yet consumed; kept to save an allocation per answer.
    buffer: Vec<u8>,
}

pub struct Answer<'a> {
    pub status: u16,
    /// The body, in the connection's buffer until the next exchange.
    pub body: &'a [u8],
    /// The service said `Connection: close`: open another connection for the next request.
    pub close: bool,
}

impl HttpConnection {
    pub async fn open(address: SocketAddr) -> Result<Self, BoxError> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("connecting to {address}: {e}"))?;
        stream.set_nodelay(true)?;
        Ok(HttpConnection {
            stream,
            buffer: Vec::with_capacity(8192),
        })
    }

    /// Sends one request and reads its answer: status line, headers, and a Content-Length body
    /// (the service answers nothing else; a 204 has none).
    pub async fn exchange(&mut self, request: &[u8]) -> io::Result<Answer<'_>> {
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let header_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at + 4;
            }
            self.read_more().await?;
        };
        let head = std::str::from_utf8(&self.buffer[..header_end])
            .map_err(|_| invalid("the answer's head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid(&format!("bad status line {status_line:?}")))?;
        let mut length = None;
        let mut close = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| invalid(&format!("bad Content-Length {value:?}")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(invalid(
                    "a Transfer-Encoding body (expected Content-Length)",
                ));
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let length = match length {
            Some(length) => length,
            None if status == 204 => 0,
            None => return Err(invalid("an answer without Content-Length")),
        };
        while self.buffer.len() < header_end + length {
            self.read_more().await?;
        }
        if self.buffer.len() > header_end + length {
            return Err(invalid(
                "more bytes than the answer (nothing was pipelined)",
            ));
        }
        Ok(Answer {
            status,
            body: &self.buffer[header_end..],
            close,
        })
    }

    async fn read_more(&mut self) -> io::Result<()> {
        if self.buffer.capacity() - self.buffer.len() < 4096 {
            self.buffer.reserve(8192);
        }
        if self.stream.read_buf(&mut self.buffer).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// A per-task xorshift generator: random picks with no shared state and next to no CPU.
pub struct XorShift(u64);

impl XorShift {
    /// Tasks seeded differently draw different sequences.
    pub fn new(seed: u64) -> Self {
        XorShift(0x9E37_79B9_7F4A_7C15 ^ seed)
    }

    /// A number in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

// --- /proc ---------------------------------------------------------------------------------------

#[derive(Clone)]
pub struct ProcStat {
    pub comm: String,
    pub ppid: u32,
    /// utime + stime, in clock ticks.
    pub ticks: u64,
}

impl ProcStat {
    pub fn read(pid: u32) -> io::Result<ProcStat> {
        Self::parse(&fs::read_to_string(format!("/proc/{pid}/stat"))?)
    }

    fn parse(text: &str) -> io::Result<ProcStat> {
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split at the last ')'.
        let open = text.find('(').ok_or_else(|| invalid("no comm"))?;
        let close = text.rfind(')').ok_or_else(|| invalid("no comm"))?;
        let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let field = |i: usize| -> io::Result<u64> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| invalid("short /proc stat"))
        };
        // After the comm: state(0) ppid(1) ... utime(11) stime(12).
        Ok(ProcStat {
            comm: text[open + 1..close].to_owned(),
            ppid: field(1)? as u32,
            ticks: field(11)? + field(12)?,
        })
    }
}

/// The stat of every process in `dir` (/proc), or of every thread (/proc/PID/task), by pid.
pub fn processes(dir: &str) -> io::Result<HashMap<u32, ProcStat>> {
    let mut stats = HashMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // A process may end between listing and reading.
        if let Ok(text) = fs::read_to_string(entry.path().join("stat"))
            && let Ok(stat) = ProcStat::parse(&text)
        {
            stats.insert(pid, stat);
        }
    }
    Ok(stats)
}

/// Ticks of all CPUs together, from /proc/stat.
#[derive(Clone, Copy)]
pub struct MachineTicks {
    /// Everything but idle, iowait and steal (irq and softirq included).
    pub busy: u64,
    pub idle: u64,
    pub iowait: u64,
    /// irq and softirq.
    pub interrupts: u64,
    pub steal: u64,
}

impl MachineTicks {
    pub fn read() -> io::Result<MachineTicks> {
        let stat = fs::read_to_string("/proc/stat")?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal (guest time is counted in user already).
        let column = |i: usize| cpu.get(i).copied().unwrap_or(0);
        Ok(MachineTicks {
            busy: cpu.iter().take(7).sum::<u64>() - column(3) - column(4),
            idle: column(3),
            iowait: column(4),
            interrupts: column(5) + column(6),
            steal: column(7),
        })
    }
}

pub fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// A `kB` field of /proc/PID/status (VmRSS, VmHWM, RssAnon...), in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Result<u64, BoxError> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}

pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "?".into())
}
