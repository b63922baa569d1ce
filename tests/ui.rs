//! Compile-time behaviour, checked with trybuild: `ui-tests/pass` must build,
//! `ui-tests/fail` must fail with exactly the reviewed `.stderr` text.
//!
//! Regenerate the expected output after an intended change with
//! `TRYBUILD=overwrite cargo test --test ui`, then review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui-tests/pass/*.rs");
    cases.compile_fail("ui-tests/fail/*.rs");
}
