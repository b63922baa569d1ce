//! Derives, doc comments, visibility and field attributes survive the reordering.
use evm_pool::{Layout, optimize_layout};

/// A log entry.
#[optimize_layout]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    /// Removed by a reorg.
    pub removed: bool,
    #[allow(dead_code)]
    pub(crate) index: u64,
    pub topics: Vec<[u8; 32]>,
    r#type: u8,
}

fn main() {
    let log = Log { removed: true, index: 3, topics: vec![[1; 32]], r#type: 2 };
    assert_eq!(log.clone(), log);
    // Derives see the fields in memory order.
    assert!(format!("{log:?}").starts_with("Log { index: 3, topics:"));
    assert!(Log::layout_report().field("type").is_some());
    assert_eq!(Log::default().index, 0);
}
