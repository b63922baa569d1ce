//! Allocation tracking for call frames: per-kind counters and a bounded timeline of
//! events, from which it reports patterns (depth distribution, kind mix, frames per
//! transaction).

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::kind::FrameKind;

/// The most events a timeline keeps; older ones are dropped first.
pub const TIMELINE_CAPACITY: usize = 10_000;

/// What happened to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameEventKind {
    /// Handed out; `hit` when it came from the pool.
    Acquire {
        /// Served by an idle frame.
        hit: bool,
    },
    /// Given back.
    Release,
    /// Refused by an EVM rule (depth, static, precompile) or an exhausted pool.
    Rejected,
}

/// One timeline entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEvent {
    /// Manager clock at the transaction's start.
    pub at: Duration,
    /// Transaction (call tree) number, counting from 1.
    pub transaction: u64,
    /// The frame's kind.
    pub kind: FrameKind,
    /// The frame's call depth.
    pub depth: u16,
    /// What happened.
    pub event: FrameEventKind,
}

/// Counters for one frame kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounters {
    /// Frames handed out.
    pub acquires: u64,
    /// Of those, served from a pool.
    pub hits: u64,
    /// Frames given back.
    pub releases: u64,
    /// Acquires refused.
    pub rejected: u64,
}

/// [`KindCounters`] as kept: one array per counter, indexed by [`FrameKind::index`], so
/// counting an event is one scaled-index increment (an array of structs needed an index
/// multiply and vector adds). Hits and misses are kept, acquires are their sum: a hit,
/// the hot path, is one increment.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    hits: [u64; 9],
    misses: [u64; 9],
    releases: [u64; 9],
    rejected: [u64; 9],
}

/// Per-kind counters and a bounded timeline of frame events.
///
/// ```
/// use std::time::Duration;
/// use evm_pool_runtime::{AllocationTracker, FrameEvent, FrameEventKind, FrameKind};
///
/// let mut tracker = AllocationTracker::with_timeline();
/// for (depth, kind) in [(0, FrameKind::Call), (1, FrameKind::StaticCall)] {
///     tracker.record(FrameEvent {
///         at: Duration::ZERO,
///         transaction: 1,
///         kind,
///         depth,
///         event: FrameEventKind::Acquire { hit: true },
///     });
/// }
/// let report = tracker.patterns();
/// assert_eq!(report.transactions, 1);
/// assert_eq!(report.max_frames_per_transaction, 2);
/// assert_eq!(report.depth_histogram[1], 1);
/// println!("{tracker}\n{report}");
/// ```
#[derive(Clone, Debug, Default)]
pub struct AllocationTracker {
    per_kind: Counts,
    timeline: Option<VecDeque<FrameEvent>>,
    dropped: u64,
}

impl AllocationTracker {
    /// Per-kind counters only, no timeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters and a timeline of at most [`TIMELINE_CAPACITY`] events, allocated up
    /// front so recording never allocates.
    pub fn with_timeline() -> Self {
        AllocationTracker {
            timeline: Some(VecDeque::with_capacity(TIMELINE_CAPACITY)),
            ..Self::default()
        }
    }

    /// Records an event.
    #[inline]
    pub fn record(&mut self, event: FrameEvent) {
        self.count(event.kind, event.event);
        if self.has_timeline() {
            self.push_event(event);
        }
    }

    /// Counts an event of `kind` without building a timeline entry: the manager's hot
    /// path, which builds the [`FrameEvent`] only when [`has_timeline`](Self::has_timeline).
    #[inline]
    pub(crate) fn count(&mut self, kind: FrameKind, event: FrameEventKind) {
        let (c, k) = (&mut self.per_kind, kind.index());
        match event {
            FrameEventKind::Acquire { hit } => {
                // No branch; with a constant `hit` (the hot path) one increment.
                c.hits[k] += u64::from(hit);
                c.misses[k] += u64::from(!hit);
            }
            FrameEventKind::Release => c.releases[k] += 1,
            FrameEventKind::Rejected => c.rejected[k] += 1,
        }
    }

    /// `true` when events are kept in a timeline.
    #[inline]
    pub(crate) fn has_timeline(&self) -> bool {
        self.timeline.is_some()
    }

    /// Appends `event` to the timeline (dropping the oldest when full). Out of line: the
    /// timeline is opt-in, the frame hot path only checks for it.
    #[inline(never)]
    pub(crate) fn push_event(&mut self, event: FrameEvent) {
        if let Some(timeline) = &mut self.timeline {
            if timeline.len() == TIMELINE_CAPACITY {
                timeline.pop_front();
                self.dropped += 1;
            }
            timeline.push_back(event);
        }
    }

    /// The counters of one kind.
    pub fn kind(&self, kind: FrameKind) -> KindCounters {
        let (c, k) = (&self.per_kind, kind.index());
        KindCounters {
            acquires: c.hits[k] + c.misses[k],
            hits: c.hits[k],
            releases: c.releases[k],
            rejected: c.rejected[k],
        }
    }

    /// The events kept, oldest first (empty without a timeline).
    pub fn timeline(&self) -> impl ExactSizeIterator<Item = &FrameEvent> + '_ {
        const EMPTY: &VecDeque<FrameEvent> = &VecDeque::new();
        self.timeline.as_ref().unwrap_or(EMPTY).iter()
    }

    /// Events dropped because the timeline was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }

    /// Adds another tracker's counters (timelines are not merged).
    pub fn merge(&mut self, other: &AllocationTracker) {
        let (ours, theirs) = (&mut self.per_kind, &other.per_kind);
        for k in 0..9 {
            ours.hits[k] += theirs.hits[k];
            ours.misses[k] += theirs.misses[k];
            ours.releases[k] += theirs.releases[k];
            ours.rejected[k] += theirs.rejected[k];
        }
        self.dropped += other.dropped;
    }

    /// Patterns in the acquires the timeline holds: how deep, which kinds, how many
    /// frames per transaction. Without a timeline only the kind mix is filled (from the
    /// counters).
    pub fn patterns(&self) -> PatternReport {
        let mut report = PatternReport {
            depth_histogram: vec![0; 1025],
            ..PatternReport::default()
        };
        let mut current: Option<(u64, u64)> = None; // (transaction, frames)
        let finish = |report: &mut PatternReport, frames: u64| {
            report.transactions += 1;
            report.max_frames_per_transaction = report.max_frames_per_transaction.max(frames);
        };
        let mut from_timeline = false;
        for event in self.timeline() {
            if !matches!(event.event, FrameEventKind::Acquire { .. }) {
                continue;
            }
            from_timeline = true;
            report.acquires += 1;
            report.kind_mix[event.kind.index()] += 1;
            report.depth_histogram[usize::from(event.depth).min(1024)] += 1;
            report.max_depth = report.max_depth.max(event.depth.into());
            current = match current {
                Some((tx, frames)) if tx == event.transaction => Some((tx, frames + 1)),
                Some((_, frames)) => {
                    finish(&mut report, frames);
                    Some((event.transaction, 1))
                }
                None => Some((event.transaction, 1)),
            };
        }
        if let Some((_, frames)) = current {
            finish(&mut report, frames);
        }
        if !from_timeline {
            for kind in FrameKind::ALL {
                report.kind_mix[kind.index()] = self.kind(kind).acquires;
            }
            report.acquires = report.kind_mix.iter().sum();
        }
        let last = report.depth_histogram.iter().rposition(|&n| n > 0);
        report.depth_histogram.truncate(last.map_or(0, |i| i + 1));
        report
    }
}

impl fmt::Display for AllocationTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<13} {:>10} {:>10} {:>10} {:>8}",
            "kind", "acquires", "hits", "releases", "rejected"
        )?;
        for kind in FrameKind::ALL {
            let c = self.kind(kind);
            if c.acquires + c.rejected == 0 {
                continue;
            }
            writeln!(
                f,
                "{:<13} {:>10} {:>10} {:>10} {:>8}",
                kind.name(),
                c.acquires,
                c.hits,
                c.releases,
                c.rejected
            )?;
        }
        let kept = self.timeline.as_ref().map_or(0, VecDeque::len);
        write!(f, "timeline: {kept} events kept, {} dropped", self.dropped)
    }
}

/// Patterns found by [`AllocationTracker::patterns`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatternReport {
    /// Acquires considered.
    pub acquires: u64,
    /// `depth_histogram[d]`: acquires at call depth `d` (trailing zeros trimmed).
    pub depth_histogram: Vec<u64>,
    /// Deepest acquire seen.
    pub max_depth: usize,
    /// Acquires per kind, indexed like [`FrameKind::ALL`].
    pub kind_mix: [u64; 9],
    /// Transactions (call trees) seen in the timeline.
    pub transactions: u64,
    /// Most frames one transaction used.
    pub max_frames_per_transaction: u64,
}

impl PatternReport {
    /// Mean frames per transaction; 0 without transactions.
    pub fn frames_per_transaction(&self) -> f64 {
        if self.transactions == 0 {
            0.0
        } else {
            self.acquires as f64 / self.transactions as f64
        }
    }

    /// Share of acquires of `kind`, in `0..=1`.
    pub fn kind_share(&self, kind: FrameKind) -> f64 {
        if self.acquires == 0 {
            0.0
        } else {
            self.kind_mix[kind.index()] as f64 / self.acquires as f64
        }
    }
}

impl fmt::Display for PatternReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} acquires over {} transactions: {:.2} frames per transaction (max {}), max depth {}",
            self.acquires,
            self.transactions,
            self.frames_per_transaction(),
            self.max_frames_per_transaction,
            self.max_depth
        )?;
        write!(f, "kind mix:")?;
        for kind in FrameKind::ALL {
            if self.kind_mix[kind.index()] > 0 {
                write!(f, " {} {:.1}%", kind.name(), self.kind_share(kind) * 100.0)?;
            }
        }
        writeln!(f)?;
        write!(f, "depth distribution:")?;
        for (depth, &n) in self.depth_histogram.iter().enumerate() {
            if n > 0 {
                write!(f, " {depth}:{n}")?;
            }
        }
        Ok(())
    }
}
