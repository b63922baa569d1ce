//! A reset function of the wrong type: the error points at the string naming it.
use evm_pool::Pooled;

fn clear_words(words: &mut Vec<u64>) {
    words.clear();
}

#[derive(Pooled, Default)]
struct Frame {
    #[pool(reset = "clear_words")]
    memory: Vec<u8>,
}

fn main() {}
