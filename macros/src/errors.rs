//! The error collector both macros use: every mistake in an input becomes a spanned
//! `syn::Error`, and all of them are combined so one build shows them all.

use syn::Error;

/// Errors collected across a whole input, reported together.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<Error>,
}

impl Errors {
    /// Records one more error.
    pub fn push(&mut self, error: Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// `Ok(value)` when nothing was recorded, else every recorded error.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.combined {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// The recorded messages, in order (for unit tests).
    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.combined
            .iter()
            .flat_map(|error| error.clone().into_iter().map(|e| e.to_string()))
            .collect()
    }
}
