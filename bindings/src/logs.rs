//! The core's logs, forwarded to the host: Logcat on Android, OSLog on iOS.
//!
//! Owns the process's `tracing` subscriber (a small [`Subscriber`] of its own: the core keeps
//! no spans, so nothing needs span storage, and `tracing-subscriber`'s registry and the
//! workspace's `fmt`/`env-filter` features would add to the shipped library for none of it),
//! the formatting of an event into a [`LogRecord`] (its message, then its fields as
//! `key=value`), and the delivery to the host's [`LogSink`]. It does not decide what the core
//! logs: the rule that log lines carry no personal data (descriptions, names, phone numbers,
//! exact coordinates, photo bytes, parser errors quoting input) is kept where each line is
//! written, and `tests/log_privacy.rs` checks every line of a full capture + sync run.
//!
//! Delivery never blocks the core and never re-enters it: an event is formatted on the thread
//! that logs it and put in a bounded queue without waiting (when the queue is full the line is
//! dropped and counted; the sink is told how many at the next line); one thread of its own,
//! `gridpatrol-log`, calls the sink, in order. What that thread logs itself (the sink calling
//! back into the library) is not forwarded, so a sink cannot feed itself. A sink that throws
//! or panics is contained: that line is lost, the next one is delivered.
//!
//! Only `tracing` events are forwarded; crates that log through the `log` facade (rustls,
//! reqwest) are not.

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::{GridPatrolError, ObserverError, Result};

/// Lines waiting for the sink; beyond this they are dropped (and counted), never waited for.
const QUEUE_LINES: usize = 4096;

/// A log line's level, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// One log line: its level, the module that wrote it (`gridpatrol_core::sync`), and the text
/// (the message, then the fields as `key=value`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    pub level: LogLevel,
    pub target: String,
    pub message: String,
}

/// Where the host wants the lines (`android.util.Log`, `os_log`). Called on the library's own
/// `gridpatrol-log` thread, one line at a time, in order; what it throws is contained.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, record: LogRecord) -> std::result::Result<(), ObserverError>;
}

/// Sends the core's log lines up to `max_level` to `sink` from now on. Call it once at start-up;
/// a later call replaces the sink and the level. `Internal` when another `tracing` subscriber
/// already owns the process (a host that embeds the library in a Rust program of its own).
#[uniffi::export]
pub fn install_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) -> Result<()> {
    let forwarder = forwarder()?;
    *forwarder.sink.write().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    MAX_LEVEL.store(level_rank(max_level), Ordering::Relaxed);
    // The level is read on every event (callsites are `sometimes` interested); this refreshes
    // tracing's global maximum, its fast path for everything above it.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The sink in force and the delivery queue's sender.
struct Forwarder {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
    queue: SyncSender<LogRecord>,
    dropped: AtomicU64,
}

/// 0 = off, 1 = error … 5 = trace.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// Set on the delivery thread: what it logs is not forwarded.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

fn level_rank(level: LogLevel) -> u8 {
    match level {
        LogLevel::Error => 1,
        LogLevel::Warn => 2,
        LogLevel::Info => 3,
        LogLevel::Debug => 4,
        LogLevel::Trace => 5,
    }
}

fn log_level(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

/// The process's forwarder, made (with its thread and the global subscriber) on first use.
fn forwarder() -> Result<&'static Forwarder> {
    static FORWARDER: OnceLock<std::result::Result<Forwarder, String>> = OnceLock::new();
    FORWARDER
        .get_or_init(|| {
            let (queue, lines) = sync_channel(QUEUE_LINES);
            tracing::subscriber::set_global_default(Forwarding)
                .map_err(|_| "another tracing subscriber is installed in this process".to_string())?;
            std::thread::Builder::new()
                .name("gridpatrol-log".into())
                .spawn(move || deliver(lines))
                .map_err(|_| "the log thread could not be started".to_string())?;
            Ok(Forwarder {
                sink: RwLock::new(None),
                queue,
                dropped: AtomicU64::new(0),
            })
        })
        .as_ref()
        .map_err(|reason| GridPatrolError::Internal {
            reason: reason.clone(),
        })
}

/// The delivery thread: every queued line to the sink in force, in order.
fn deliver(lines: Receiver<LogRecord>) {
    DELIVERING.with(|d| d.set(true));
    for record in lines {
        let Some(forwarder) = installed() else { continue };
        let sink = forwarder.sink.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(sink) = sink else { continue };
        call(&*sink, record);
        let dropped = forwarder.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            call(
                &*sink,
                LogRecord {
                    level: LogLevel::Warn,
                    target: module_path!().into(),
                    message: format!(
                        "{dropped} log lines were dropped: the sink was slower than the library"
                    ),
                },
            );
        }
    }
}

/// One call of the host's sink; a throw or a panic loses that line only.
fn call(sink: &dyn LogSink, record: LogRecord) {
    let _ = catch_unwind(AssertUnwindSafe(|| sink.log(record)));
}

fn installed() -> Option<&'static Forwarder> {
    forwarder().ok()
}

/// The global subscriber: level check, formatting, and a queue slot, nothing else.
struct Forwarding;

impl Subscriber for Forwarding {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at run time (`install_log_sink` again): ask on every event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        level_rank(log_level(metadata.level())) <= MAX_LEVEL.load(Ordering::Relaxed)
            && !DELIVERING.with(Cell::get)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match MAX_LEVEL.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        // No span is stored or shown, so every span may share one id.
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let Some(forwarder) = installed() else { return };
        let mut text = Text::default();
        event.record(&mut text);
        let metadata = event.metadata();
        let record = LogRecord {
            level: log_level(metadata.level()),
            target: metadata.target().into(),
            message: text.finish(),
        };
        match forwarder.queue.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                forwarder.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// An event's text: the message first, then each other field as ` key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        if self.message.is_empty() {
            self.fields.trim_start().to_string()
        } else {
            self.message + &self.fields
        }
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
