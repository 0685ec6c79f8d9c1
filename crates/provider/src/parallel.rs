//! Two pieces of work at once, when a second thread can be had.

/// `first()` on this thread and `second()` on a scoped one, and both results; when no thread can
/// be started, both here, one after the other. The results do not depend on which: a panic in
/// `second` (none is expected) goes on here.
pub(crate) fn both<A, B: Send>(first: impl FnOnce() -> A, second: impl Fn() -> B + Sync) -> (A, B) {
    std::thread::scope(|scope| match std::thread::Builder::new().spawn_scoped(scope, &second) {
        Ok(helper) => {
            let first = first();
            (first, helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        }
        Err(_cannot_spawn) => (first(), second()),
    })
}
