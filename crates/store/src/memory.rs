//! What a node remembers between requests, so that the reads every
//! request makes need not reach the database each time:
//!
//! - [`RecentApps`]: the applications this node last read or wrote. A step
//!   decided on a remembered application is appended at its rev, and the
//!   append is conditional on that rev and the chain's head; a remembered
//!   application that another node moved on therefore fails the append
//!   (`Stale`), and the caller reads it again and decides again. Nothing is
//!   ever written on the strength of memory alone.
//! - [`Sessions`]: the user of a bearer token, and a user by username,
//!   for a few seconds. Every
//!   write that ends a session or changes who a user is (logout, a new
//!   password, a disabled account) forgets on this node at once and, on
//!   PostgreSQL, tells every other node through `NOTIFY` in the same
//!   transaction; [`SESSION_MEMORY`] bounds how long another process on the
//!   same SQLite file (which cannot be told) may go on trusting it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Application, ApplicationRow, ChainHead, User};

/// Applications remembered at most (about 3 KiB each: the row and the
/// folded case as text).
const RECENT_APPS: usize = 1024;

/// How long a session's user is trusted without asking the database.
pub const SESSION_MEMORY: Duration = Duration::from_secs(5);

/// Sessions remembered at most (a few hundred bytes each).
const SESSIONS: usize = 8192;

/// A map that forgets an arbitrary entry when full.
fn insert_bounded<V>(map: &mut HashMap<String, V>, cap: usize, key: String, value: V) {
    if map.len() >= cap && !map.contains_key(&key) {
        if let Some(k) = map.keys().next().cloned() {
            map.remove(&k);
        }
    }
    map.insert(key, value);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The applications this node last read or wrote, by id.
#[derive(Default)]
pub(crate) struct RecentApps(Mutex<HashMap<String, Application>>);

impl RecentApps {
    /// The application as last seen here, if remembered.
    pub(crate) fn get(&self, id: &str) -> Option<Application> {
        lock(&self.0).get(id).cloned()
    }

    /// `app` as just read from the database. A read that raced with a
    /// write made here and lost (an older rev) does not replace it.
    pub(crate) fn read(&self, app: &Application) {
        let mut map = lock(&self.0);
        if map.get(&app.id).is_some_and(|known| known.rev > app.rev) {
            return;
        }
        insert_bounded(&mut map, RECENT_APPS, app.id.clone(), app.clone());
    }

    /// `app` as its intake wrote it.
    pub(crate) fn created(&self, mut app: Application) {
        app.row = at_stored_precision(app.row);
        let mut map = lock(&self.0);
        insert_bounded(&mut map, RECENT_APPS, app.id.clone(), app);
    }

    /// An append at `expected_rev` committed with `row`, ending the chain
    /// at `head`. Remembered only over the application as it was at
    /// `expected_rev` (its number is not in the change).
    pub(crate) fn appended(
        &self,
        id: &str,
        expected_rev: i64,
        row: ApplicationRow,
        head: ChainHead,
    ) {
        let mut map = lock(&self.0);
        match map.get_mut(id) {
            Some(app) if app.rev == expected_rev => {
                app.rev = expected_rev + 1;
                app.row = at_stored_precision(row);
                app.head = head;
            }
            Some(_) => {
                map.remove(id);
            }
            None => {}
        }
    }

    /// Forgets every application (the store is closing).
    pub(crate) fn clear(&self) {
        lock(&self.0).clear();
    }

    /// A write whose outcome is not known here (it failed, or it moved the
    /// application by a path that does not say how).
    pub(crate) fn forget(&self, id: &str) {
        lock(&self.0).remove(id);
    }
}

/// `row` as a read gives it back: instants in whole microseconds.
fn at_stored_precision(mut row: ApplicationRow) -> ApplicationRow {
    let micros = |t: chrono::DateTime<chrono::Utc>| {
        chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
    };
    row.due_at = row.due_at.map(micros);
    row.created_at = micros(row.created_at);
    row.updated_at = micros(row.updated_at);
    row
}

struct RememberedSession {
    user: User,
    /// The session's end, in microseconds.
    expires_at: i64,
    read_at: Instant,
}

/// The users of recently seen sessions, by token hash, and recently read
/// users, by username.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, RememberedSession>>,
    users: Mutex<HashMap<String, (User, Instant)>>,
    /// Whether what other nodes change reaches this node (always on
    /// SQLite; on PostgreSQL while the listener is listening). Off, every
    /// session is read from the database.
    told: AtomicBool,
    /// Counts the changes heard, so that a read that began before one is
    /// not remembered after it.
    changes: AtomicU64,
}

/// When a read of a session began: the changes heard by then, and the
/// instant its answer will be remembered from.
#[derive(Clone, Copy)]
pub(crate) struct Ticket {
    changes: u64,
    at: Instant,
}

impl Sessions {
    /// `told`: whether other writers' changes reach [`Sessions::changed`].
    pub(crate) fn new(told: bool) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            told: AtomicBool::new(told),
            changes: AtomicU64::new(0),
        }
    }

    /// Taken before reading a session from the database.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket {
            changes: self.changes.load(Ordering::Acquire),
            at: Instant::now(),
        }
    }

    /// The remembered answer for `token_hash` at `now` (microseconds):
    /// `Some(None)` for a session that has expired by then, `None` when
    /// the database must be asked.
    pub(crate) fn get(&self, token_hash: &str, now: i64) -> Option<Option<User>> {
        if !self.told.load(Ordering::Acquire) {
            return None;
        }
        let map = lock(&self.map);
        let s = map.get(token_hash)?;
        if s.read_at.elapsed() >= SESSION_MEMORY {
            return None;
        }
        Some((s.expires_at > now).then(|| s.user.clone()))
    }

    /// A session's user as read from the database after `ticket` was
    /// taken; forgotten at once if a change was heard meanwhile (the read
    /// may have seen the database before it).
    pub(crate) fn read(&self, token_hash: &str, user: &User, expires_at: i64, ticket: Ticket) {
        if !self.told.load(Ordering::Acquire) {
            return;
        }
        let mut map = lock(&self.map);
        if self.changes.load(Ordering::Acquire) != ticket.changes {
            return;
        }
        insert_bounded(
            &mut map,
            SESSIONS,
            token_hash.to_owned(),
            RememberedSession {
                user: user.clone(),
                expires_at,
                read_at: ticket.at,
            },
        );
    }

    /// The user named `username` as read less than [`SESSION_MEMORY`] ago,
    /// if remembered.
    pub(crate) fn user(&self, username: &str) -> Option<User> {
        if !self.told.load(Ordering::Acquire) {
            return None;
        }
        let users = lock(&self.users);
        let (user, read_at) = users.get(username)?;
        (read_at.elapsed() < SESSION_MEMORY).then(|| user.clone())
    }

    /// A user as read from the database after `ticket` was taken (as
    /// [`Sessions::read`]).
    pub(crate) fn read_user(&self, user: &User, ticket: Ticket) {
        if !self.told.load(Ordering::Acquire) {
            return;
        }
        let _map = lock(&self.map);
        if self.changes.load(Ordering::Acquire) != ticket.changes {
            return;
        }
        let mut users = lock(&self.users);
        insert_bounded(
            &mut users,
            SESSIONS,
            user.username.clone(),
            (user.clone(), ticket.at),
        );
    }

    /// What a notice says changed: `s:` and a token hash (that session
    /// ended), `u:` and a username (that user changed); anything else, or
    /// a notice that may have been lost, forgets everything.
    pub(crate) fn changed(&self, notice: &str) {
        let mut map = lock(&self.map);
        self.changes.fetch_add(1, Ordering::AcqRel);
        if let Some(hash) = notice.strip_prefix("s:") {
            map.remove(hash);
        } else if let Some(username) = notice.strip_prefix("u:") {
            map.retain(|_, s| s.user.username != username);
            lock(&self.users).remove(username);
        } else {
            map.clear();
            lock(&self.users).clear();
        }
    }

    /// Whether other writers' changes reach this node from now on; when
    /// they stop (a listener lost its connection), everything is forgotten,
    /// since what changed meanwhile is not known.
    pub(crate) fn set_told(&self, told: bool) {
        let mut map = lock(&self.map);
        self.told.store(told, Ordering::Release);
        self.changes.fetch_add(1, Ordering::AcqRel);
        map.clear();
        lock(&self.users).clear();
    }
}

/// Forgets what a notice names when dropped: once the write that changed
/// it has returned, or when the request was dropped while it wrote (a
/// SQLite write goes on without its caller, and may still commit).
pub(crate) struct ForgetOnDrop<'a> {
    sessions: &'a Sessions,
    notice: String,
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.sessions.changed(&self.notice);
    }
}

impl Sessions {
    /// Forgets `notice` when the returned guard is dropped; taken before
    /// the write that makes the change.
    pub(crate) fn forget_after(&self, notice: String) -> ForgetOnDrop<'_> {
        ForgetOnDrop {
            sessions: self,
            notice,
        }
    }
}

/// The notice for the end of the session `token_hash`.
pub(crate) fn session_ended(token_hash: &str) -> String {
    format!("s:{token_hash}")
}

/// The notice for a change of `username` (password, disabled).
pub(crate) fn user_changed(username: &str) -> String {
    format!("u:{username}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        User {
            username: name.into(),
            role: "clerk".into(),
            provider: None,
            password_hash: String::new(),
            iin: None,
            display_name: name.into(),
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            disabled: false,
        }
    }

    #[test]
    fn a_session_is_remembered_until_it_expires_or_changes() {
        let s = Sessions::new(true);
        assert_eq!(s.get("h", 0), None, "nothing read yet");
        s.read("h", &user("clerk"), 100, s.ticket());
        assert_eq!(s.get("h", 99), Some(Some(user("clerk"))));
        assert_eq!(s.get("h", 100), Some(None), "expired at its end");
        s.changed(&user_changed("head"));
        assert!(s.get("h", 0).is_some(), "another user's change");
        s.changed(&user_changed("clerk"));
        assert_eq!(s.get("h", 0), None);
        s.read("h", &user("clerk"), 100, s.ticket());
        s.changed(&session_ended("h"));
        assert_eq!(s.get("h", 0), None);
        s.read("h", &user("clerk"), 100, s.ticket());
        s.changed("");
        assert_eq!(s.get("h", 0), None, "an unreadable notice forgets all");
    }

    #[test]
    fn a_user_is_remembered_until_they_change() {
        let s = Sessions::new(true);
        assert_eq!(s.user("clerk"), None);
        s.read_user(&user("clerk"), s.ticket());
        assert_eq!(s.user("clerk"), Some(user("clerk")));
        s.changed(&session_ended("h"));
        assert!(
            s.user("clerk").is_some(),
            "a session's end is not the user's"
        );
        s.changed(&user_changed("clerk"));
        assert_eq!(s.user("clerk"), None);
        let before = s.ticket();
        s.changed(&user_changed("head"));
        s.read_user(&user("clerk"), before);
        assert_eq!(s.user("clerk"), None, "read before a change was heard");
        s.read_user(&user("clerk"), s.ticket());
        s.set_told(false);
        assert_eq!(s.user("clerk"), None);
    }

    #[test]
    fn a_change_is_forgotten_even_when_its_writer_is_dropped() {
        let s = Sessions::new(true);
        s.read("h", &user("clerk"), 100, s.ticket());
        let write = async {
            let _forget = s.forget_after(session_ended("h"));
            std::future::pending::<()>().await;
        };
        // The request goes away while it writes: its future is dropped.
        drop(write);
        assert!(s.get("h", 0).is_some(), "a future never polled did nothing");
        let mut write = Box::pin(async {
            let _forget = s.forget_after(session_ended("h"));
            std::future::pending::<()>().await;
        });
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(std::future::Future::poll(write.as_mut(), &mut cx).is_pending());
        drop(write);
        assert_eq!(s.get("h", 0), None);
    }

    #[test]
    fn a_session_read_long_ago_is_asked_again() {
        let s = Sessions::new(true);
        let long_ago = Instant::now()
            .checked_sub(SESSION_MEMORY)
            .expect("the clock runs");
        let t = Ticket {
            at: long_ago,
            ..s.ticket()
        };
        s.read("h", &user("clerk"), 100, t);
        assert_eq!(s.get("h", 0), None);
    }

    #[test]
    fn untold_sessions_are_never_remembered() {
        let s = Sessions::new(false);
        s.read("h", &user("clerk"), 100, s.ticket());
        assert_eq!(s.get("h", 0), None);
        s.set_told(true);
        s.read("h", &user("clerk"), 100, s.ticket());
        assert!(s.get("h", 0).is_some());
        s.set_told(false);
        s.set_told(true);
        assert_eq!(s.get("h", 0), None, "forgotten while not told");
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_remembered() {
        let s = Sessions::new(true);
        let before = s.ticket();
        s.changed(&session_ended("h"));
        s.read("h", &user("clerk"), 100, before);
        assert_eq!(s.get("h", 0), None);
        s.read("h", &user("clerk"), 100, s.ticket());
        assert!(s.get("h", 0).is_some());
    }

    fn app(rev: i64) -> Application {
        let at = chrono::DateTime::from_timestamp(0, 1_500).unwrap();
        Application {
            id: "a".into(),
            number: "KRG-2026-000001".into(),
            rev,
            row: ApplicationRow {
                service: "s".into(),
                version: "v".into(),
                channel: "office".into(),
                provider: "p".into(),
                status: "in-progress".into(),
                step: None,
                step_role: None,
                due_at: Some(at),
                overdue: false,
                assignee: None,
                applicant_iin: "871008401427".into(),
                representative_iin: None,
                intake_actor: "clerk".into(),
                created_at: at,
                updated_at: at,
                state: crate::StateJson::stored("{}".into()),
            },
            head: ChainHead::genesis(),
        }
    }

    #[test]
    fn an_application_is_remembered_at_its_newest_rev() {
        let r = RecentApps::default();
        r.read(&app(2));
        r.read(&app(1));
        assert_eq!(
            r.get("a").unwrap().rev,
            2,
            "an older read does not replace it"
        );
        let head = ChainHead {
            seq: 3,
            hash: "h".into(),
        };
        r.appended("a", 2, app(2).row, head.clone());
        let known = r.get("a").unwrap();
        assert_eq!((known.rev, known.head), (3, head.clone()));
        assert_eq!(
            known.row.updated_at.timestamp_subsec_nanos(),
            1_000,
            "to the microsecond, as stored"
        );
        r.appended("a", 7, app(2).row, head.clone());
        assert_eq!(r.get("a"), None, "an append at another rev: not known");
        r.appended("a", 3, app(3).row, head);
        assert_eq!(r.get("a"), None, "not remembered, not made up");
        r.created(app(1));
        r.forget("a");
        assert_eq!(r.get("a"), None);
    }

    #[test]
    fn the_maps_stay_bounded() {
        let mut m = HashMap::new();
        for i in 0..10 {
            insert_bounded(&mut m, 4, i.to_string(), i);
        }
        assert_eq!(m.len(), 4);
        assert_eq!(m.get("9"), Some(&9), "the newest is kept");
    }
}
