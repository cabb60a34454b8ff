//! The gate between the library and the app's callbacks (sync listeners, observers): after
//! whatever closes it returns, no callback runs.
//!
//! Aborting a task does not stop a callback it is already in (a sync run reporting `Finished`
//! on one worker while another shuts the engine down, a queue-health call on the blocking
//! pool), so setting a flag alone would let a callback arrive after the shutdown or `close()`
//! returned. [`CallGate::close`] therefore marks the gate shut and waits for the calls in
//! flight on other threads; a call on the closing thread itself (a callback that closes the
//! instance) is not waited for, or it would wait for itself.
//!
//! Owns only that rule. It does not own who is called (the sync engine's listener slot,
//! the bindings' subscriptions) nor what a failing callback does.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

/// Lets callbacks through until it is closed, then none; `close` returns once no callback is
/// running on another thread.
#[derive(Default)]
pub struct CallGate {
    state: Mutex<GateState>,
    idle: Condvar,
}

#[derive(Default)]
struct GateState {
    closed: bool,
    /// One entry per call in flight (a thread appears twice in a nested call).
    calling: Vec<ThreadId>,
}

impl CallGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `call` unless the gate is shut; `None` when it was.
    pub fn call<T>(&self, call: impl FnOnce() -> T) -> Option<T> {
        let me = thread::current().id();
        {
            let mut state = self.lock();
            if state.closed {
                return None;
            }
            state.calling.push(me);
        }
        // Leaves the gate even if `call` panics, so `close` cannot wait forever.
        struct Leave<'a>(&'a CallGate, ThreadId);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                let mut state = self.0.lock();
                if let Some(at) = state.calling.iter().position(|t| *t == self.1) {
                    state.calling.swap_remove(at);
                }
                self.0.idle.notify_all();
            }
        }
        let _leave = Leave(self, me);
        Some(call())
    }

    /// Shuts the gate, then waits until no call is in flight on another thread.
    pub fn close(&self) {
        let me = thread::current().id();
        let mut state = self.lock();
        state.closed = true;
        while state.calling.iter().any(|t| *t != me) {
            state = self.idle.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_shut_gate_lets_no_call_through() {
        let gate = CallGate::default();
        assert_eq!(gate.call(|| 1), Some(1));
        gate.close();
        assert_eq!(gate.call(|| 2), None, "a call after close must not run");
    }

    #[test]
    fn close_waits_for_a_call_in_flight_on_another_thread() {
        let gate = Arc::new(CallGate::default());
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let caller = {
            let (gate, finished) = (gate.clone(), finished.clone());
            thread::spawn(move || {
                gate.call(|| {
                    entered_tx.send(()).expect("the test waits for this");
                    release_rx.recv().expect("the test releases the call");
                    finished.store(true, Ordering::SeqCst);
                })
            })
        };
        entered.recv().expect("the call started");
        let closer = {
            let gate = gate.clone();
            thread::spawn(move || gate.close())
        };
        thread::sleep(Duration::from_millis(100));
        assert!(
            !closer.is_finished(),
            "close returned while a callback was running"
        );
        release.send(()).expect("the call is waiting");
        closer.join().expect("close ends once the call is out");
        assert!(finished.load(Ordering::SeqCst));
        assert_eq!(caller.join().expect("the call ends"), Some(()));
    }

    #[test]
    fn close_from_inside_a_call_does_not_wait_for_itself() {
        let gate = CallGate::default();
        assert_eq!(gate.call(|| gate.close()), Some(()));
        assert_eq!(gate.call(|| ()), None);
    }
}
