//! Where background work's CPU-heavy steps run (a recompute's evaluation of every device against
//! every rule: seconds for a large tenant): one thread of their own, at the lowest scheduling
//! priority. Off the async runtime, so its other tasks go on; one thread, so a large tenant's work
//! takes one core at most; the lowest priority, so the HTTP workers' threads, which serve the
//! other tenants, get the CPU first whenever they want it.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, OnceLock, mpsc};

type Job = Box<dyn FnOnce() + Send>;

/// The thread's queue, started on first use.
fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("background-cpu".to_owned())
            .spawn(move || {
                // Linux keeps a nice value per thread: this one's alone becomes 19. Where it
                // cannot be set the work still runs, at the usual priority.
                // SAFETY: gettid and setpriority only read and set this thread's attributes.
                #[cfg(target_os = "linux")]
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
                }
                for job in jobs {
                    job();
                }
            })
            .expect("a thread for background CPU work");
        Mutex::new(sender)
    })
}

/// Runs `work` on the background CPU thread and waits for its result; a panic in it resumes
/// here, and the thread goes on with the next job.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
    });
    queue()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send(job)
        .expect("the background CPU thread catches every panic, so it outlives every job");
    match result
        .await
        .expect("the background CPU thread runs every job it is sent")
    {
        Ok(value) => value,
        Err(panic) => resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_runtime_and_its_panics_come_back() {
        let thread = super::run(|| std::thread::current().name().map(str::to_owned)).await;
        assert_eq!(thread.as_deref(), Some("background-cpu"));
        let panicked = tokio::spawn(super::run(|| panic!("a job's own panic"))).await;
        assert!(panicked.is_err());
        assert_eq!(
            super::run(|| 6 * 7).await,
            42,
            "the thread outlives a panic"
        );
    }
}
