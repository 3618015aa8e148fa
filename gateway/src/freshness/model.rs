//! An exhaustive check of the freshness protocol: every interleaving of a few writes and a
//! few reads of the same query, with the response cache, shared subgraph fetches and shared
//! client queries, explored state by state. The reads decide whether to join work in flight
//! with the module's own rule ([`Guarantee::serves`] over [`ReadStart`]s made as the pipeline
//! makes them); everything else is a model of the pipeline, the transport, the subgraph and
//! Redis, reduced to what freshness depends on:
//!
//! - a write commits, then takes the next value of the version sequence, then mirrors it to
//!   Redis (never lowering the key), then is acknowledged;
//! - a read arrives (and takes its ticket, unless it is sure to read versions), then notes
//!   the client query in flight under its key; a read with versions reads them at some
//!   later step (a read that shares whole client queries only if the query it noted began
//!   before it arrived) and then takes its ticket; a cached read (one with versions) then
//!   looks the cache up, and on a miss stores what it got under them; every version read
//!   is remembered as the last one;
//! - a read may join the client query it noted, finished or not, or the one in flight, else
//!   leads an execution of its own, which vouches for the last versions read if it has
//!   none; an execution may join the subgraph fetch in flight, else starts one; a fetch
//!   reads the database at some later step, and leaves the registry at a still later one.
//!
//! Two properties are checked in every reachable state: a finished read shows every write
//! acknowledged before it arrived, and an entry cached under versions `v` shows the `v`
//! writes those versions count. The rule that always lets a read join — the gateway's
//! behaviour before the rule — breaks both, which the last test shows.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::{Guarantee, ReadStart};

/// Whether work with a guarantee may be given to a read.
type JoinRule = fn(&Guarantee, &ReadStart) -> bool;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum WriteStep {
    Commit,
    Advance,
    Mirror(u8),
    Acknowledge,
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ReadStep {
    Arrive,
    NoteInFlight,
    ReadVersions,
    TakeTicket(u8),
    Lookup,
    JoinQuery,
    JoinFetch,
    Wait,
    Done,
}

/// What a read does with the data versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// Reads none (sharing off and no cache, or alone, or the versions unreadable).
    Plain,
    /// Reads them to share work (a query not cached, while others run): with client queries
    /// shared, only to join one that began before it arrived.
    Versioned,
    /// Reads them to look the response cache up, and shares work by them.
    Cached,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Read {
    kind: Kind,
    arrives: Arrives,
    /// Which of two client queries it is; both need the same subgraph fetch.
    query: usize,
    step: ReadStep,
    /// Writes acknowledged when it arrived.
    acknowledged_before: u8,
    start: Option<Start>,
    versions: Option<u8>,
    /// The start its fetches are joined with: its own, or its execution's.
    run: Option<Start>,
    /// The execution in flight under its query's key that it noted after arriving.
    noted: Option<usize>,
    /// The execution it waits on (its own or one it joined), or none.
    execution: Option<usize>,
    /// The fetch its own execution waits on.
    fetch: Option<usize>,
    result: Option<u8>,
}

/// A [`ReadStart`] in a form the state can hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Start {
    ticket: u64,
    versions: Option<u8>,
}

impl Start {
    fn read_start(&self) -> ReadStart {
        ReadStart::at(self.ticket, self.versions.map(versions_text))
    }
}

fn versions_text(version: u8) -> Arc<str> {
    Arc::from(version.to_string())
}

/// A [`Guarantee`] in a form the state can hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Promise {
    after: Option<u64>,
    versions: Option<u8>,
}

impl Promise {
    fn of(guarantee: &Guarantee) -> Promise {
        Promise {
            after: guarantee.after,
            versions: guarantee
                .versions
                .as_ref()
                .map(|text| text.parse().unwrap()),
        }
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee {
            after: self.after,
            versions: self.versions.map(versions_text),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Fetch {
    promise: Promise,
    /// What the subgraph read: the writes committed then.
    snapshot: Option<u8>,
    finished: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Execution {
    promise: Promise,
    result: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct State {
    committed: u8,
    sequence: u8,
    mirrored: u8,
    /// The versions the last version read found.
    last_read: Option<u8>,
    acknowledged: u8,
    tickets: u64,
    /// (query, versions) → writes the entry shows.
    cache: BTreeMap<(usize, u8), u8>,
    /// The write under way: the writes run one after another, as one client's would.
    write: WriteStep,
    reads: Vec<Read>,
    fetches: Vec<Fetch>,
    /// The fetch registered under the (one) key, if any.
    fetch_in_flight: Option<usize>,
    executions: Vec<Execution>,
    /// The execution registered under each query's key, if any.
    execution_in_flight: [Option<usize>; 2],
    /// A read that finished showing fewer writes than were acknowledged before it arrived:
    /// (read, writes shown, writes acknowledged).
    stale_read: Option<(usize, u8, u8)>,
}

struct Setting {
    writes: usize,
    /// Each read: what it does with versions, whether it arrives only once every write was
    /// acknowledged (fewer interleavings to explore where the early ones add nothing), and
    /// which of two client queries it is.
    reads: Vec<(Kind, Arrives, usize)>,
    share_queries: bool,
    /// A deliberate fault, to show the model catches it.
    broken: Option<Broken>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Broken {
    /// Join the client query noted on arrival without asking the rule.
    TakeNotedUnchecked,
    /// Lead an execution without versions of its own as a read of the last versions read
    /// (its fetches may then join ones begun before it arrived).
    LeadUnderLastRead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Arrives {
    Any,
    AfterTheWrites,
}

impl State {
    fn new(setting: &Setting) -> State {
        State {
            committed: 0,
            sequence: 0,
            mirrored: 0,
            last_read: None,
            acknowledged: 0,
            tickets: 1,
            cache: BTreeMap::new(),
            write: if setting.writes > 0 {
                WriteStep::Commit
            } else {
                WriteStep::Done
            },
            reads: setting
                .reads
                .iter()
                .map(|&(kind, arrives, query)| Read {
                    kind,
                    arrives,
                    query,
                    step: ReadStep::Arrive,
                    acknowledged_before: 0,
                    start: None,
                    versions: None,
                    run: None,
                    noted: None,
                    execution: None,
                    fetch: None,
                    result: None,
                })
                .collect(),
            fetches: Vec::new(),
            fetch_in_flight: None,
            executions: Vec::new(),
            execution_in_flight: [None, None],
            stale_read: None,
        }
    }

    fn ticket(&mut self) -> u64 {
        self.tickets += 1;
        self.tickets
    }

    /// Every state one step away.
    fn successors(&self, setting: &Setting, joins: JoinRule) -> Vec<State> {
        let mut next = Vec::new();
        if self.write != WriteStep::Done {
            let mut state = self.clone();
            state.write = match self.write {
                WriteStep::Commit => {
                    state.committed += 1;
                    WriteStep::Advance
                }
                WriteStep::Advance => {
                    state.sequence += 1;
                    WriteStep::Mirror(state.sequence)
                }
                WriteStep::Mirror(version) => {
                    state.mirrored = state.mirrored.max(version);
                    WriteStep::Acknowledge
                }
                WriteStep::Acknowledge => {
                    state.acknowledged += 1;
                    if usize::from(state.acknowledged) < setting.writes {
                        WriteStep::Commit
                    } else {
                        WriteStep::Done
                    }
                }
                WriteStep::Done => unreachable!("a finished write takes no step"),
            };
            next.push(state);
        }
        for f in 0..self.fetches.len() {
            let fetch = &self.fetches[f];
            if fetch.snapshot.is_none() {
                let mut state = self.clone();
                state.fetches[f].snapshot = Some(self.committed);
                next.push(state);
            } else if !fetch.finished {
                let mut state = self.clone();
                state.fetches[f].finished = true;
                if state.fetch_in_flight == Some(f) {
                    state.fetch_in_flight = None;
                }
                next.push(state);
            }
        }
        for r in 0..self.reads.len() {
            if let Some(state) = self.read_step(r, setting, joins) {
                next.push(state);
            }
        }
        next
    }

    fn read_step(&self, r: usize, setting: &Setting, joins: JoinRule) -> Option<State> {
        let mut state = self.clone();
        let read = &self.reads[r];
        let step = match read.step {
            ReadStep::Arrive => {
                if read.arrives == Arrives::AfterTheWrites && self.write != WriteStep::Done {
                    return None;
                }
                state.reads[r].acknowledged_before = self.acknowledged;
                if read.kind != Kind::Cached {
                    let ticket = state.ticket();
                    state.reads[r].start = Some(Start {
                        ticket,
                        versions: None,
                    });
                }
                ReadStep::NoteInFlight
            }
            ReadStep::NoteInFlight => {
                if setting.share_queries {
                    state.reads[r].noted = self.execution_in_flight[read.query];
                }
                match read.kind {
                    Kind::Plain => ReadStep::JoinQuery,
                    Kind::Cached => ReadStep::ReadVersions,
                    Kind::Versioned if !setting.share_queries => ReadStep::ReadVersions,
                    // Nothing in flight, or something that began after it arrived: it leads
                    // or joins by its ticket.
                    Kind::Versioned => match state.reads[r].noted {
                        Some(e)
                            if !joins(
                                &self.executions[e].promise.guarantee(),
                                &read.start.clone()?.read_start(),
                            ) =>
                        {
                            ReadStep::ReadVersions
                        }
                        _ => ReadStep::JoinQuery,
                    },
                }
            }
            ReadStep::ReadVersions => {
                state.last_read = Some(self.mirrored);
                ReadStep::TakeTicket(self.mirrored)
            }
            ReadStep::TakeTicket(versions) => {
                let ticket = state.ticket();
                state.reads[r].versions = Some(versions);
                state.reads[r].start = Some(Start {
                    ticket,
                    versions: Some(versions),
                });
                if read.kind == Kind::Cached {
                    ReadStep::Lookup
                } else {
                    ReadStep::JoinQuery
                }
            }
            ReadStep::Lookup => match self.cache.get(&(read.query, read.versions?)) {
                Some(&entry) => {
                    state.reads[r].result = Some(entry);
                    ReadStep::Done
                }
                None => ReadStep::JoinQuery,
            },
            ReadStep::JoinQuery => {
                let start = read.start.clone()?;
                // What it noted first, finished or not; then what is in flight now.
                let joinable = [read.noted, self.execution_in_flight[read.query]]
                    .into_iter()
                    .flatten()
                    .find(|&e| {
                        setting.share_queries
                            && ((setting.broken == Some(Broken::TakeNotedUnchecked)
                                && read.noted == Some(e))
                                || joins(
                                    &self.executions[e].promise.guarantee(),
                                    &start.read_start(),
                                ))
                    });
                match joinable {
                    Some(e) => {
                        state.reads[r].execution = Some(e);
                        ReadStep::Wait
                    }
                    None if setting.share_queries => {
                        let ticket = state.ticket();
                        let earlier = self.last_read.map(versions_text);
                        let (run, guarantee) = start.read_start().execution_at(ticket, earlier);
                        state.executions.push(Execution {
                            promise: Promise::of(&guarantee),
                            result: None,
                        });
                        let e = state.executions.len() - 1;
                        state.execution_in_flight[read.query] = Some(e);
                        state.reads[r].execution = Some(e);
                        state.reads[r].run = Some(Start {
                            ticket: run.ticket,
                            versions: match setting.broken {
                                Some(Broken::LeadUnderLastRead) => {
                                    start.versions.or(self.last_read)
                                }
                                _ => start.versions,
                            },
                        });
                        ReadStep::JoinFetch
                    }
                    None => {
                        state.reads[r].run = Some(start);
                        ReadStep::JoinFetch
                    }
                }
            }
            ReadStep::JoinFetch => {
                let run = read.run.clone()?;
                let joinable = self
                    .fetch_in_flight
                    .filter(|&f| joins(&self.fetches[f].promise.guarantee(), &run.read_start()));
                let f = match joinable {
                    Some(f) => f,
                    None => {
                        let ticket = state.ticket();
                        let guarantee = run.read_start().fetch_guarantee_at(ticket);
                        state.fetches.push(Fetch {
                            promise: Promise::of(&guarantee),
                            snapshot: None,
                            finished: false,
                        });
                        state.fetch_in_flight = Some(state.fetches.len() - 1);
                        state.fetches.len() - 1
                    }
                };
                state.reads[r].fetch = Some(f);
                ReadStep::Wait
            }
            ReadStep::Wait => {
                let result = match (read.fetch, read.execution) {
                    // It runs the execution (its own, or no sharing of queries): the fetch
                    // must have finished.
                    (Some(f), execution) => {
                        let fetch = &self.fetches[f];
                        if !fetch.finished {
                            return None;
                        }
                        let result = fetch.snapshot?;
                        if let Some(e) = execution {
                            state.executions[e].result = Some(result);
                            if state.execution_in_flight[read.query] == Some(e) {
                                state.execution_in_flight[read.query] = None;
                            }
                        }
                        result
                    }
                    // It joined an execution: that must have finished.
                    (None, Some(e)) => self.executions[e].result?,
                    (None, None) => return None,
                };
                state.reads[r].result = Some(result);
                if let (Kind::Cached, Some(versions)) = (read.kind, read.versions) {
                    state.cache.insert((read.query, versions), result);
                }
                ReadStep::Done
            }
            ReadStep::Done => return None,
        };
        state.reads[r].step = step;
        if state.reads[r].step == ReadStep::Done {
            // What a finished read held matters no more once it is checked: forgetting it
            // lets states that differ only there be explored once.
            let result = state.reads[r].result.unwrap_or(0);
            if result < read.acknowledged_before {
                state.stale_read = Some((r, result, read.acknowledged_before));
            }
            state.reads[r] = Read {
                kind: read.kind,
                arrives: read.arrives,
                query: read.query,
                step: ReadStep::Done,
                acknowledged_before: 0,
                start: None,
                versions: None,
                run: None,
                noted: None,
                execution: None,
                fetch: None,
                result: None,
            };
        }
        Some(state)
    }

    /// What is wrong in this state, if anything.
    fn violation(&self) -> Option<String> {
        if let Some((r, shown, acknowledged)) = self.stale_read {
            return Some(format!(
                "read {r} showed {shown} writes; {acknowledged} were acknowledged before it arrived"
            ));
        }
        for (&(_, versions), &entry) in &self.cache {
            if entry < versions {
                return Some(format!(
                    "the entry under versions {versions} shows {entry} writes"
                ));
            }
        }
        None
    }
}

/// Explores every reachable state; returns how many there are, or the first violation with
/// the state it was found in.
fn check(setting: &Setting, joins: JoinRule) -> Result<usize, String> {
    let start = State::new(setting);
    let mut seen = HashSet::new();
    let mut stack = vec![start.clone()];
    seen.insert(start);
    while let Some(state) = stack.pop() {
        if let Some(violation) = state.violation() {
            return Err(format!("{violation}\nin {state:#?}"));
        }
        for next in state.successors(setting, joins) {
            if seen.insert(next.clone()) {
                stack.push(next);
            }
        }
    }
    Ok(seen.len())
}

fn the_rule(guarantee: &Guarantee, read: &ReadStart) -> bool {
    guarantee.serves(read)
}

#[test]
fn no_interleaving_of_writes_and_shared_reads_shows_a_stale_figure() {
    use Arrives::{AfterTheWrites, Any};
    use Kind::{Cached, Plain, Versioned};
    let settings = [
        // Two writes, a cached read and a plain one, fetches shared.
        Setting {
            writes: 2,
            reads: vec![(Cached, Any, 0), (Plain, Any, 0)],
            share_queries: false,
            broken: None,
        },
        // Two writes, two cached reads of one query, client queries shared too.
        Setting {
            writes: 2,
            reads: vec![(Cached, Any, 0), (Cached, Any, 0)],
            share_queries: true,
            broken: None,
        },
        // Two writes, two reads of one query sharing by versions, without cache.
        Setting {
            writes: 2,
            reads: vec![(Versioned, Any, 0), (Versioned, Any, 0)],
            share_queries: true,
            broken: None,
        },
        // Reads with versions and without, of one query: a read without versions may not
        // join work begun under versions, however late it arrives.
        Setting {
            writes: 2,
            reads: vec![(Versioned, Any, 0), (Plain, Any, 0)],
            share_queries: true,
            broken: None,
        },
        // A cached read's fetch, joined under the same versions by another query's
        // execution, which a read of that query arriving after the write must not join.
        Setting {
            writes: 1,
            reads: vec![
                (Cached, Any, 0),
                (Cached, Any, 1),
                (Plain, AfterTheWrites, 1),
            ],
            share_queries: true,
            broken: None,
        },
        Setting {
            writes: 1,
            reads: vec![
                (Plain, Any, 0),
                (Cached, Any, 1),
                (Cached, AfterTheWrites, 1),
            ],
            share_queries: true,
            broken: None,
        },
        Setting {
            writes: 1,
            reads: vec![
                (Versioned, Any, 0),
                (Cached, Any, 1),
                (Versioned, AfterTheWrites, 1),
            ],
            share_queries: true,
            broken: None,
        },
    ];
    for setting in &settings {
        match check(setting, the_rule) {
            Ok(states) => assert!(states > 10_000, "only {states} states explored"),
            Err(violation) => panic!("{violation}"),
        }
    }
}

#[test]
fn joining_whatever_is_in_flight_shows_stale_figures() {
    let always: JoinRule = |_, _| true;
    for share_queries in [false, true] {
        let setting = Setting {
            writes: 1,
            reads: vec![
                (Kind::Cached, Arrives::Any, 0),
                (Kind::Cached, Arrives::Any, 0),
            ],
            share_queries,
            broken: None,
        };
        assert!(
            check(&setting, always).is_err(),
            "the model did not catch the old behaviour (sharing queries: {share_queries})"
        );
    }
}

#[test]
fn a_broken_pipeline_shows_stale_figures() {
    use Arrives::Any;
    use Kind::{Cached, Plain, Versioned};
    let cases = [
        (
            Broken::TakeNotedUnchecked,
            vec![(Versioned, Any, 0), (Versioned, Any, 0)],
        ),
        (
            Broken::LeadUnderLastRead,
            vec![(Cached, Any, 0), (Plain, Any, 1)],
        ),
    ];
    for (broken, reads) in cases {
        let setting = Setting {
            writes: 1,
            reads,
            share_queries: true,
            broken: Some(broken),
        };
        assert!(
            check(&setting, the_rule).is_err(),
            "the model did not catch {broken:?}"
        );
    }
}
