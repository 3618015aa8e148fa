//! Runs a plan: sends its fetches, builds `_entities` representations from what earlier
//! fetches returned, and merges every answer into one response tree. Shaping that tree into
//! the client's response (aliases, fragments, null propagation) is `project.rs`'s work.
//!
//! The tree is shared by the fetches of a `Parallel` node behind a mutex that is never held
//! across an await: a fetch reads its representations under the lock, sends its request
//! without it, and merges its answer under it again. Merging goes back to the recorded path
//! of each representation, so siblings merging at the same time cannot disturb each other.
//! An entity standing for several identical objects is merged into the first only; when
//! the plan ends the others show it ([`Shown`]), or get copies of it ([`DeferredCopy`]).
//!
//! Failures are contained: a subgraph that is down, slow or answers nonsense turns into an
//! error at the response path of the fields it should have provided, and the rest of the
//! plan runs on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use futures::future::{join_all, BoxFuture, FutureExt};
use serde_json::{Map, Value};

use crate::pipeline::data::{Data, Object};

use crate::error::{Code, GraphqlError, PathSegment};
use crate::freshness::ReadStart;
use crate::pipeline::plan::PossibleTypes;
use crate::pipeline::plan::{
    BatchFetch, Fetch, PathStep, PlanNode, RequiredSelection, Rewrite, RewriteStep,
};
use crate::pipeline::supergraph::Supergraph;
use rustc_hash::FxHashMap;
use smol_str::SmolStr;

pub(crate) mod shaping;
pub(crate) mod transport;

use crate::forwarded::ForwardedHeaders;
use transport::{FetchError, Subgraph, Transport};

/// What a plan produced: the merged tree, the errors in plan order, and the deferred copies
/// the answer shows instead of making them ([`Execution::shown`]).
pub(crate) struct Execution<'a> {
    pub data: Data<'a>,
    pub errors: Vec<GraphqlError>,
    copies: Vec<DeferredCopy>,
}

impl Execution<'_> {
    /// Where the client's answer can show a deferred copy's source instead of its target,
    /// or none when that would read otherwise than making the copies ([`Execution::make_copies`]):
    /// a target owed by two copies, or one whose own content merging its source into it
    /// would leave over or change, or with another copy's target or source inside it.
    pub(crate) fn shown(&self) -> Option<Shown<'_>> {
        let mut objects =
            FxHashMap::with_capacity_and_hasher(2 * self.copies.len(), Default::default());
        let mut pairs = Vec::with_capacity(self.copies.len());
        for copy in &self.copies {
            let target = find(&self.data, &copy.to)?;
            let source = find(&self.data, &copy.from)?;
            if objects
                .insert(address(target), Some(source))
                .is_some_and(|was| was.is_some())
            {
                return None;
            }
            objects.entry(address(source)).or_insert(None);
            pairs.push((target, source));
        }
        pairs
            .into_iter()
            .all(|(target, source)| merges_into_source(target, source, &objects))
            .then_some(Shown { objects })
    }

    /// Makes the deferred copies, latest first: a copy made inside an entity completes it
    /// before it is copied on.
    pub(crate) fn make_copies(&mut self) {
        for copy in self.copies.iter().rev() {
            settle(&mut self.data, copy);
        }
        self.copies.clear();
    }
}

/// The deferred copies of a finished run, left unmade: the client's answer shows each
/// source where its targets stand, so that the tree holds each entity once. Objects are
/// known by their address in the tree, which does not change while it is read.
#[derive(Default)]
pub(crate) struct Shown<'d> {
    /// Each copy's target with the source it shows, and each source (with none).
    objects: FxHashMap<usize, Option<&'d Data<'d>>>,
}

impl<'d> Shown<'d> {
    /// What the answer shows at `value` — the source of the copy it stands for, or itself —
    /// and whether that is shown at other places too.
    pub(crate) fn at(&self, value: &'d Data<'d>) -> (&'d Data<'d>, bool) {
        if self.objects.is_empty() {
            return (value, false);
        }
        let mut value = value;
        let mut entry = self.objects.get(&address(value));
        // A source comes before its targets in the walk, so a chain ends; bounded anyway.
        for _ in 0..self.objects.len() {
            match entry {
                Some(Some(source)) => {
                    value = source;
                    entry = self.objects.get(&address(value));
                }
                _ => break,
            }
        }
        (value, entry.is_some())
    }
}

fn address(value: &Data<'_>) -> usize {
    value as *const Data<'_> as usize
}

/// The subgraph answers of one run, kept until the client's response is written: the
/// response tree borrows its keys and strings from them. One slot per fetch node of the
/// plan, taken in the order the answers arrive (each node sends at most one request).
pub(crate) struct Answers {
    slots: Vec<OnceLock<Bytes>>,
    taken: AtomicUsize,
}

impl Answers {
    pub(crate) fn for_plan(root: Option<&PlanNode>) -> Self {
        fn fetches(node: &PlanNode) -> usize {
            match node {
                PlanNode::Fetch(_) | PlanNode::Flatten { .. } | PlanNode::Batch(_) => 1,
                PlanNode::Sequence(nodes) | PlanNode::Parallel(nodes) => {
                    nodes.iter().map(fetches).sum()
                }
                PlanNode::Condition {
                    if_true, if_false, ..
                } => [if_true, if_false]
                    .into_iter()
                    .flatten()
                    .map(|branch| fetches(branch))
                    .sum(),
            }
        }
        let count = root.map_or(0, fetches);
        Answers {
            slots: (0..count).map(|_| OnceLock::new()).collect(),
            taken: AtomicUsize::new(0),
        }
    }

    /// Keeps `answer` for the rest of the run; none when every slot is taken (a plan that
    /// sent more requests than it has fetch nodes, which no plan does).
    fn keep(&self, answer: Bytes) -> Option<&[u8]> {
        let slot = self.slots.get(self.taken.fetch_add(1, Ordering::Relaxed))?;
        slot.set(answer).ok()?;
        slot.get().map(|answer| &answer[..])
    }
}

/// One run of one plan.
pub(crate) struct Executor<'a> {
    /// The subgraphs, in the order the plan's fetches name them.
    pub subgraphs: &'a [Subgraph],
    pub possible_types: &'a PossibleTypes,
    pub transport: &'a Transport,
    pub headers: &'a ForwardedHeaders,
    pub variables: &'a Map<String, Value>,
    /// When the read began: which fetches in flight it may share.
    pub read: &'a ReadStart,
    /// When the request must be answered: no fetch waits past it.
    pub deadline: Instant,
    answers: &'a Answers,
    data: Mutex<Data<'a>>,
    /// (fetch id, error): sorted by fetch id at the end so that the order does not depend on
    /// which parallel fetch finished first.
    errors: Mutex<Vec<(usize, GraphqlError)>>,
    /// Entities owed to objects that stood identical to the one they were merged into.
    copies: Mutex<DeferredCopies>,
}

/// The deferred copies of a run, in the order they were recorded, and which one each target
/// is owed.
#[derive(Default)]
struct DeferredCopies {
    list: Vec<DeferredCopy>,
    by_target: FxHashMap<Vec<PathSegment>, usize>,
}

/// An entity merged only into the first of the objects it stands for (`from`) and owed to
/// another (`to`) at the same place of the same list walk (the same path but for list
/// indices) that stood identical to it — counting what it was owed already — and held none
/// of the entity's fields. Later fetches then walk what lies below the entity once, at
/// `from`; their errors there are reported at `to` too ([`Executor::with_copies`]); when the
/// plan ends, the answer shows `from`, complete, at `to` ([`Shown`]), or, where that would
/// read otherwise, `from` is merged into `to` ([`settle`]).
struct DeferredCopy {
    from: Vec<PathSegment>,
    to: Vec<PathSegment>,
    /// The fields `to` is owed: the entities' fields new to both objects.
    keys: Vec<SmolStr>,
}

/// The distinct representations of a fetch, and the response paths of the objects each
/// stands for.
struct Representations {
    /// The representations as the JSON array the request sends: each one serialized once,
    /// when it was told apart from the others.
    json: Vec<u8>,
    /// For each representation, in order, the objects it stands for.
    origins: Vec<Vec<Vec<PathSegment>>>,
    /// How many deferred copies there were when the objects were collected: the copies
    /// whose targets the walk did not enter.
    copies_before: usize,
}

impl Representations {
    fn len(&self) -> usize {
        self.origins.len()
    }

    fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
}

impl<'a> Executor<'a> {
    /// An executor over `supergraph`'s subgraphs, keeping their answers in `answers`.
    pub(crate) fn new(
        supergraph: &'a Supergraph,
        transport: &'a Transport,
        headers: &'a ForwardedHeaders,
        variables: &'a Map<String, Value>,
        read: &'a ReadStart,
        deadline: Instant,
        answers: &'a Answers,
    ) -> Self {
        Executor {
            answers,
            subgraphs: &supergraph.subgraphs,
            possible_types: &supergraph.possible_types,
            transport,
            headers,
            variables,
            read,
            deadline,
            data: Mutex::new(Data::Object(Object::default())),
            errors: Mutex::new(Vec::new()),
            copies: Mutex::new(DeferredCopies::default()),
        }
    }

    /// Runs `root` and returns what it gathered.
    pub(crate) async fn run(self, root: Option<&PlanNode>) -> Execution<'a> {
        if let Some(root) = root {
            self.node(root).await;
        }
        let data = self
            .data
            .into_inner()
            .unwrap_or_else(|err| err.into_inner());
        let copies = self
            .copies
            .into_inner()
            .unwrap_or_else(|err| err.into_inner())
            .list;
        let mut errors = self
            .errors
            .into_inner()
            .unwrap_or_else(|err| err.into_inner());
        errors.sort_by_key(|(id, _)| *id);
        Execution {
            data,
            errors: errors.into_iter().map(|(_, error)| error).collect(),
            copies,
        }
    }

    fn node<'n>(&'n self, node: &'n PlanNode) -> BoxFuture<'n, ()> {
        async move {
            match node {
                PlanNode::Fetch(fetch) => self.root_fetch(fetch).await,
                PlanNode::Flatten { path, fetch } => self.entity_fetch(path, fetch).await,
                PlanNode::Batch(batch) => self.batch_fetch(batch).await,
                PlanNode::Sequence(nodes) => {
                    for node in nodes {
                        self.node(node).await;
                    }
                }
                PlanNode::Parallel(nodes) => {
                    join_all(nodes.iter().map(|node| self.node(node))).await;
                }
                PlanNode::Condition {
                    variable,
                    if_true,
                    if_false,
                } => {
                    let branch = if self.variables.get(variable) == Some(&Value::Bool(true)) {
                        if_true
                    } else {
                        if_false
                    };
                    if let Some(branch) = branch {
                        self.node(branch).await;
                    }
                }
            }
        }
        .boxed()
    }

    fn lock_data(&self) -> std::sync::MutexGuard<'_, Data<'a>> {
        self.data.lock().unwrap_or_else(|err| err.into_inner())
    }

    fn push_error(&self, fetch_id: usize, error: GraphqlError) {
        self.errors
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .push((fetch_id, error));
    }

    /// The request body: the pre-escaped operation and the variables it uses.
    fn body(
        &self,
        query_json: &str,
        variables: &[String],
        representations: &[(&str, &[u8])],
    ) -> Bytes {
        let mut body = Vec::with_capacity(query_json.len() + 64);
        body.extend_from_slice(b"{\"query\":");
        body.extend_from_slice(query_json.as_bytes());
        body.extend_from_slice(b",\"variables\":{");
        let mut first = true;
        let mut separator = |body: &mut Vec<u8>| {
            if !first {
                body.push(b',');
            }
            first = false;
        };
        for (name, json) in representations {
            separator(&mut body);
            let _ = serde_json::to_writer(&mut body, name);
            body.push(b':');
            body.extend_from_slice(json);
        }
        for name in variables {
            if let Some(value) = self.variables.get(name) {
                separator(&mut body);
                let _ = serde_json::to_writer(&mut body, name);
                body.push(b':');
                let _ = serde_json::to_writer(&mut body, value);
            }
        }
        body.extend_from_slice(b"}}");
        Bytes::from(body)
    }

    /// Sends a request and reads the GraphQL response out of the answer.
    async fn send(
        &self,
        subgraph: usize,
        body: Bytes,
        may_share: bool,
    ) -> Result<Object<'a>, GraphqlError> {
        let Some(target) = self.subgraphs.get(subgraph) else {
            return Err(GraphqlError::new(
                "The plan names a subgraph the supergraph does not have.",
                Code::Internal,
            ));
        };
        let failed = |message: String, code: Code| {
            GraphqlError::new(
                format!(
                    "Could not fetch from subgraph \"{}\": {message}.",
                    target.name
                ),
                code,
            )
            .with_extension("serviceName", Value::String(target.name.clone()))
        };
        let answer = self
            .transport
            .fetch(
                target,
                self.headers,
                body,
                may_share,
                self.read,
                self.deadline,
            )
            .await
            .map_err(|err| {
                let code = match err {
                    FetchError::Timeout(_) => Code::SubgraphTimeout,
                    FetchError::Deadline(_) => Code::RequestDeadlineExceeded,
                    _ => Code::SubgraphRequestFailed,
                };
                tracing::warn!(subgraph = %target.name, error = %err, "subgraph fetch failed");
                failed(err.to_string(), code)
            })?;
        let Some(answer) = self.answers.keep(answer) else {
            return Err(GraphqlError::new(
                "The plan sent more requests than it has fetches.",
                Code::Internal,
            ));
        };
        match Data::parse(answer) {
            Ok(Data::Object(response))
                if response.contains_key("data") || response.contains_key("errors") =>
            {
                Ok(response)
            }
            _ => {
                tracing::warn!(subgraph = %target.name, "subgraph answered with something that is not a GraphQL response");
                target
                    .metrics
                    .errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Err(failed(
                    "the answer is not a GraphQL response".to_string(),
                    Code::SubgraphResponseInvalid,
                ))
            }
        }
    }

    async fn root_fetch(&self, fetch: &Fetch) {
        let body = self.body(&fetch.query_json, &fetch.variables, &[]);
        let root_paths: Vec<Vec<PathSegment>> = fetch
            .response_keys
            .iter()
            .map(|key| vec![PathSegment::Key(key.into())])
            .collect();
        let mut response = match self.send(fetch.subgraph, body, !fetch.is_mutation).await {
            Ok(response) => response,
            Err(error) => {
                // One error per root field the fetch should have provided.
                if root_paths.is_empty() {
                    self.push_error(fetch.id, error);
                } else {
                    for path in root_paths {
                        self.push_error(fetch.id, error.clone().at(path));
                    }
                }
                return;
            }
        };
        if let Some(errors) = response.remove("errors") {
            let fallback = match root_paths.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            };
            for error in subgraph_errors(errors) {
                let path = error.path.as_deref().map(path_from_data);
                self.push_error(
                    fetch.id,
                    error.into_graphql(path.or_else(|| fallback.clone())),
                );
            }
        }
        if let Some(mut data) = response
            .remove("data")
            .filter(|data| data.as_object().is_some())
        {
            self.apply_rewrites(&mut data, &fetch.output_rewrites);
            merge(&mut self.lock_data(), data);
        }
    }

    async fn entity_fetch(&self, path: &[PathStep], fetch: &Fetch) {
        let Some(requires) = &fetch.requires else {
            return;
        };
        let representations = {
            let data = self.lock_data();
            self.representations(&data, &[path], requires, &fetch.input_rewrites)
        };
        if representations.is_empty() {
            return;
        }
        let body = self.body(
            &fetch.query_json,
            &fetch.variables,
            &[("representations", &representations.json)],
        );
        let fetch_path = || {
            let keys: Vec<&str> = fetch.response_keys.iter().map(String::as_str).collect();
            let origins = representations.origins.iter().flatten().cloned().collect();
            common_path(
                &self.with_copies(origins, representations.copies_before),
                &keys,
            )
        };
        let response = match self.send(fetch.subgraph, body, !fetch.is_mutation).await {
            Ok(response) => response,
            Err(error) => {
                self.push_error(fetch.id, with_path(error, fetch_path()));
                return;
            }
        };
        self.merge_entities(
            fetch.id,
            response,
            &[("_entities", &representations, &fetch.output_rewrites)],
            &fetch_path,
        );
    }

    async fn batch_fetch(&self, batch: &BatchFetch) {
        // Aliases that share a representations variable share its representations.
        let mut by_variable: Vec<(&str, Representations)> = Vec::new();
        {
            let data = self.lock_data();
            for alias in &batch.aliases {
                if by_variable
                    .iter()
                    .any(|(name, _)| *name == alias.representations_variable)
                {
                    continue;
                }
                let paths: Vec<&[PathStep]> = alias.paths.iter().map(Vec::as_slice).collect();
                let representations =
                    self.representations(&data, &paths, &alias.requires, &alias.input_rewrites);
                by_variable.push((alias.representations_variable.as_str(), representations));
            }
        }
        if by_variable
            .iter()
            .all(|(_, representations)| representations.is_empty())
        {
            return;
        }
        let variables: Vec<(&str, &[u8])> = by_variable
            .iter()
            .map(|(name, representations)| (*name, representations.json.as_slice()))
            .collect();
        let body = self.body(&batch.query_json, &batch.variables, &variables);
        let fetch_path = || {
            let all_keys: Vec<&str> = batch
                .aliases
                .iter()
                .flat_map(|alias| alias.response_keys.iter().map(String::as_str))
                .collect();
            let origins = by_variable
                .iter()
                .flat_map(|(_, representations)| {
                    let origins = representations.origins.iter().flatten().cloned().collect();
                    self.with_copies(origins, representations.copies_before)
                })
                .collect::<Vec<_>>();
            common_path(&origins, &all_keys)
        };
        let response = match self.send(batch.subgraph, body, true).await {
            Ok(response) => response,
            Err(error) => {
                self.push_error(batch.id, with_path(error, fetch_path()));
                return;
            }
        };
        let mut targets = Vec::with_capacity(batch.aliases.len());
        for alias in &batch.aliases {
            if let Some((_, representations)) = by_variable
                .iter()
                .find(|(name, _)| *name == alias.representations_variable)
            {
                targets.push((
                    alias.alias.as_str(),
                    representations,
                    &alias.output_rewrites,
                ));
            }
        }
        self.merge_entities(batch.id, response, &targets, &fetch_path);
    }

    /// `paths` and, for each one below the source of one of the first `copies_before`
    /// deferred copies, the same place in the copy — where the walk that found them did not
    /// go, and where what is found there will be copied — unless already among them (the
    /// walk went there itself). Worked out for errors only.
    fn with_copies(
        &self,
        mut paths: Vec<Vec<PathSegment>>,
        copies_before: usize,
    ) -> Vec<Vec<PathSegment>> {
        let copies = self.copies.lock().unwrap_or_else(|err| err.into_inner());
        let copies = &copies.list[..copies_before];
        let mut at = 0;
        while at < paths.len() {
            for copy in copies {
                let Some(tail) = paths[at].strip_prefix(copy.from.as_slice()) else {
                    continue;
                };
                let mirrored: Vec<PathSegment> = copy.to.iter().chain(tail).cloned().collect();
                if !paths.contains(&mirrored) {
                    paths.push(mirrored);
                }
            }
            at += 1;
        }
        paths
    }

    /// Merges the entity lists of a response (`_entities`, or one list per batch alias) into
    /// the objects their representations came from, and passes the errors on; `fetch_path`
    /// gives the path of errors that name no usable one (worked out only for those).
    fn merge_entities(
        &self,
        fetch_id: usize,
        mut response: Object<'a>,
        targets: &[(&str, &Representations, &Vec<Rewrite>)],
        fetch_path: &dyn Fn() -> Option<Vec<PathSegment>>,
    ) {
        let mut data = response.remove("data");
        let mut invalid = false;
        for (key, representations, rewrites) in targets {
            let entities = match data.as_mut() {
                Some(Data::Object(data)) => data.get_mut(key).map(Data::take),
                _ => None,
            };
            match entities {
                Some(Data::List(entities)) if entities.len() == representations.len() => {
                    let mut tree = self.lock_data();
                    for (mut entity, origins) in entities.into_iter().zip(&representations.origins)
                    {
                        if !matches!(entity, Data::Object(_)) {
                            continue;
                        }
                        self.apply_rewrites(&mut entity, rewrites);
                        let Some((first, others)) = origins.split_first() else {
                            continue;
                        };
                        // The first origin takes the entity itself; the others are owed it
                        // when they stand identical to the first, else get copies now.
                        let eager: Vec<&Vec<PathSegment>> = if others.is_empty() {
                            Vec::new()
                        } else {
                            let mut copies =
                                self.copies.lock().unwrap_or_else(|err| err.into_inner());
                            let source = find(&tree, first);
                            others
                                .iter()
                                .filter(|other| {
                                    !defer_copy(&tree, &mut copies, source, first, other, &entity)
                                })
                                .collect()
                        };
                        for origin in eager {
                            if let Some(target) = navigate(&mut tree, origin) {
                                merge(target, entity.clone());
                            }
                        }
                        if let Some(target) = navigate(&mut tree, first) {
                            merge(target, entity);
                        }
                    }
                }
                // No list: the whole field failed; its errors (if any) say why.
                None | Some(Data::Null) => {}
                Some(_) => invalid = true,
            }
        }
        if let Some(errors) = response.remove("errors") {
            for error in subgraph_errors(errors) {
                let mapped = error.path.as_ref().and_then(|path| {
                    let (first, rest) = path.split_first()?;
                    let key = first.as_str()?;
                    let (_, representations, _) =
                        targets.iter().find(|(name, _, _)| *name == key)?;
                    let (index, tail) = match rest.split_first() {
                        Some((Data::Number(index), tail)) => {
                            (usize::try_from(index.as_u64()?).ok()?, tail)
                        }
                        // Some subgraphs (async-graphql 7 among them) leave the entity index
                        // out of the path; with a single representation it is still known.
                        _ if representations.len() == 1 => (0, rest),
                        _ => return None,
                    };
                    let origins = representations.origins.get(index)?;
                    let tail = path_from_data(tail);
                    let paths = origins
                        .iter()
                        .map(|origin| {
                            let mut full = origin.clone();
                            full.extend(tail.iter().cloned());
                            full
                        })
                        .collect::<Vec<_>>();
                    Some(self.with_copies(paths, representations.copies_before))
                });
                match mapped {
                    Some(paths) if !paths.is_empty() => {
                        for path in paths {
                            self.push_error(fetch_id, error.clone().into_graphql(Some(path)));
                        }
                    }
                    _ => self.push_error(fetch_id, error.into_graphql(fetch_path())),
                }
            }
        }
        if invalid {
            self.push_error(
                fetch_id,
                with_path(
                    GraphqlError::new(
                        "A subgraph returned a list of entities that does not match the representations sent.",
                        Code::SubgraphResponseInvalid,
                    ),
                    fetch_path(),
                ),
            );
        }
    }

    /// Collects the representations of the objects at `paths`, deduplicated.
    fn representations<'t>(
        &self,
        data: &Data<'t>,
        paths: &[&[PathStep]],
        requires: &[RequiredSelection],
        rewrites: &[Rewrite],
    ) -> Representations {
        let mut found: Vec<(Vec<PathSegment>, Data<'_>)> = Vec::new();
        for path in paths {
            let mut current = Vec::new();
            self.collect(data, path, &mut current, requires, &mut found);
        }
        let mut index: FxHashMap<Vec<u8>, usize> =
            FxHashMap::with_capacity_and_hasher(found.len(), Default::default());
        let mut key = Vec::with_capacity(64);
        let mut representations = Representations {
            json: Vec::with_capacity(2 + found.len() * 48),
            origins: Vec::with_capacity(found.len()),
            copies_before: self
                .copies
                .lock()
                .unwrap_or_else(|err| err.into_inner())
                .list
                .len(),
        };
        representations.json.push(b'[');
        for (origin, mut representation) in found {
            self.apply_rewrites(&mut representation, rewrites);
            key.clear();
            let _ = sonic_rs::to_writer(&mut key, &representation);
            match index.get(&key) {
                Some(position) => representations.origins[*position].push(origin),
                None => {
                    if !representations.origins.is_empty() {
                        representations.json.push(b',');
                    }
                    representations.json.extend_from_slice(&key);
                    index.insert(key.clone(), representations.origins.len());
                    representations.origins.push(vec![origin]);
                }
            }
        }
        representations.json.push(b']');
        representations
    }

    fn collect<'t>(
        &self,
        value: &Data<'t>,
        path: &[PathStep],
        current: &mut Vec<PathSegment>,
        requires: &'t [RequiredSelection],
        found: &mut Vec<(Vec<PathSegment>, Data<'t>)>,
    ) {
        if let Data::List(items) = value {
            // Lists not spelled out in the path are walked all the same.
            let path = match path.first() {
                Some(PathStep::List) => &path[1..],
                _ => path,
            };
            for (index, item) in items.iter().enumerate() {
                current.push(PathSegment::Index(index));
                self.collect(item, path, current, requires, found);
                current.pop();
            }
            return;
        }
        let Data::Object(object) = value else {
            return;
        };
        match path.split_first() {
            None => {
                let mut representation = Object::with_capacity(4);
                if self.represent(object, requires, &mut representation)
                    && representation.contains_key("__typename")
                {
                    found.push((current.clone(), Data::Object(representation)));
                }
            }
            Some((PathStep::Field(key), rest)) => {
                if let Some(child) = object.get(key) {
                    current.push(PathSegment::Key(key.clone()));
                    self.collect(child, rest, current, requires, found);
                    current.pop();
                }
            }
            Some((PathStep::List, rest)) => self.collect(value, rest, current, requires, found),
            Some((PathStep::TypeCondition(types), rest)) => {
                if object
                    .typename()
                    .is_some_and(|typename| self.possible_types.matches(typename, types))
                {
                    self.collect(value, rest, current, requires, found);
                }
            }
        }
    }

    /// Builds a representation from `object`; false when a required field is missing.
    fn represent<'t>(
        &self,
        object: &Object<'t>,
        selections: &'t [RequiredSelection],
        out: &mut Object<'t>,
    ) -> bool {
        for selection in selections {
            match selection {
                RequiredSelection::Field {
                    name,
                    sent_as,
                    selections,
                } => {
                    let Some(value) = object.get(name) else {
                        return false;
                    };
                    if selections.is_empty() {
                        out.insert(sent_as.as_str().into(), value.clone());
                    } else {
                        match self.represent_value(value, selections) {
                            Some(value) => {
                                out.insert(sent_as.as_str().into(), value);
                            }
                            None => return false,
                        }
                    }
                }
                RequiredSelection::InlineFragment {
                    type_condition,
                    selections,
                } => {
                    let applies = object.typename().is_some_and(|typename| {
                        self.possible_types
                            .matches(typename, std::slice::from_ref(type_condition))
                    });
                    if applies && !self.represent(object, selections, out) {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn represent_value<'t>(
        &self,
        value: &Data<'t>,
        selections: &'t [RequiredSelection],
    ) -> Option<Data<'t>> {
        match value {
            Data::Object(object) => {
                let mut out = Object::with_capacity(selections.len());
                self.represent(object, selections, &mut out)
                    .then_some(Data::Object(out))
            }
            Data::List(items) => items
                .iter()
                .map(|item| self.represent_value(item, selections))
                .collect::<Option<Vec<_>>>()
                .map(Data::List),
            other => Some(other.clone()),
        }
    }

    fn apply_rewrites(&self, value: &mut Data<'_>, rewrites: &[Rewrite]) {
        for rewrite in rewrites {
            let (path, action) = match rewrite {
                Rewrite::SetValue { path, value } => (path, RewriteAction::Set(value)),
                Rewrite::RenameKey { path, to } => (path, RewriteAction::Rename(to)),
            };
            self.rewrite(value, path, &action);
        }
    }

    fn rewrite(&self, value: &mut Data<'_>, path: &[RewriteStep], action: &RewriteAction<'_>) {
        match value {
            Data::List(items) => {
                for item in items {
                    self.rewrite(item, path, action);
                }
            }
            Data::Object(object) => match path.split_first() {
                None => {}
                Some((RewriteStep::Key(key), [])) => match action {
                    RewriteAction::Set(text) => {
                        object.insert(
                            key.to_string().into(),
                            Data::String(text.to_string().into()),
                        );
                    }
                    RewriteAction::Rename(to) => {
                        if let Some(moved) = object.remove(key) {
                            match object.get_mut(to) {
                                Some(existing) => merge(existing, moved),
                                None => {
                                    object.insert(to.to_string().into(), moved);
                                }
                            }
                        }
                    }
                },
                Some((RewriteStep::Key(key), rest)) => {
                    if let Some(child) = object.get_mut(key) {
                        self.rewrite(child, rest, action);
                    }
                }
                Some((RewriteStep::TypenameIn(types), rest)) => {
                    let matches = object
                        .typename()
                        .is_some_and(|typename| self.possible_types.matches(typename, types));
                    if matches {
                        self.rewrite(value, rest, action);
                    }
                }
            },
            _ => {}
        }
    }
}

enum RewriteAction<'a> {
    Set(&'a str),
    Rename(&'a str),
}

/// An error as a subgraph reported it.
struct SubgraphError {
    message: String,
    path: Option<Vec<Data<'static>>>,
    extensions: Option<Map<String, Value>>,
}

impl SubgraphError {
    fn into_graphql(self, path: Option<Vec<PathSegment>>) -> GraphqlError {
        GraphqlError {
            message: self.message,
            locations: Vec::new(),
            path,
            extensions: self.extensions,
            raised: None,
        }
    }
}

impl Clone for SubgraphError {
    fn clone(&self) -> Self {
        SubgraphError {
            message: self.message.clone(),
            path: self.path.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

/// The errors of a subgraph response; whatever is not an error object is skipped. Their
/// locations are dropped: they point into the subgraph's operation, not the client's.
fn subgraph_errors(errors: Data<'_>) -> Vec<SubgraphError> {
    let Data::List(errors) = errors else {
        return Vec::new();
    };
    errors
        .into_iter()
        .filter_map(|error| {
            let Data::Object(mut error) = error else {
                return None;
            };
            let message = match error.remove("message") {
                Some(Data::String(message)) => message.to_string(),
                _ => "A subgraph reported an error without a message.".to_string(),
            };
            let path = match error.remove("path") {
                Some(Data::List(path)) => Some(path.into_iter().map(owned).collect()),
                _ => None,
            };
            let extensions = match error.remove("extensions") {
                Some(Data::Object(extensions)) => match to_json(Data::Object(extensions)) {
                    Value::Object(extensions) => Some(extensions),
                    _ => None,
                },
                _ => None,
            };
            Some(SubgraphError {
                message,
                path,
                extensions,
            })
        })
        .collect()
}

/// A tree value that borrows nothing, for errors, which outlive the answers.
fn owned(data: Data<'_>) -> Data<'static> {
    match data {
        Data::Null => Data::Null,
        Data::Bool(boolean) => Data::Bool(boolean),
        Data::Number(number) => Data::Number(number),
        Data::String(text) => Data::String(text.into_owned().into()),
        Data::List(items) => Data::List(items.into_iter().map(owned).collect()),
        Data::Object(object) => Data::Object(
            object
                .into_entries()
                .map(|(key, value)| (key.into_owned().into(), owned(value)))
                .collect(),
        ),
    }
}

/// A tree value as `serde_json`'s, for the rare places that need one (error extensions).
fn to_json(data: Data<'_>) -> Value {
    match data {
        Data::Null => Value::Null,
        Data::Bool(boolean) => Value::Bool(boolean),
        Data::Number(number) => Value::Number(number),
        Data::String(text) => Value::String(text.to_string()),
        Data::List(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Data::Object(object) => Value::Object(
            object
                .into_entries()
                .map(|(key, value)| (key.to_string(), to_json(value)))
                .collect(),
        ),
    }
}

fn path_from_data(path: &[Data<'_>]) -> Vec<PathSegment> {
    path.iter()
        .filter_map(|segment| match segment {
            Data::String(key) => Some(PathSegment::Key(SmolStr::new(key))),
            Data::Number(index) => index
                .as_u64()
                .and_then(|index| usize::try_from(index).ok())
                .map(PathSegment::Index),
            _ => None,
        })
        .collect()
}

fn with_path(error: GraphqlError, path: Option<Vec<PathSegment>>) -> GraphqlError {
    match path {
        Some(path) => error.at(path),
        None => error,
    }
}

/// The deepest response path common to every field position a fetch fills: each origin
/// object followed by each response key. `None` when they share nothing.
fn common_path<'o>(
    origins: impl IntoIterator<Item = &'o Vec<PathSegment>>,
    keys: &[&str],
) -> Option<Vec<PathSegment>> {
    // Positions are compared in place, a step at a time, rather than built.
    let keys: Vec<Option<&str>> = if keys.is_empty() {
        vec![None]
    } else {
        keys.iter().map(|key| Some(*key)).collect()
    };
    let mut positions = origins.into_iter().flat_map(|origin| {
        keys.iter().map(move |key| Position {
            origin: origin.as_slice(),
            key: *key,
        })
    });
    let first = positions.next()?;
    let mut common = first.len();
    for position in positions {
        common = (0..common)
            .take_while(|&at| position.step(at) == first.step(at))
            .count();
        if common == 0 {
            return None;
        }
    }
    (common > 0).then(|| (0..common).filter_map(|at| first.step(at)).collect())
}

/// A field position [`common_path`] compares: an origin object and a response key after it.
#[derive(Clone, Copy)]
struct Position<'a> {
    origin: &'a [PathSegment],
    key: Option<&'a str>,
}

impl Position<'_> {
    fn len(&self) -> usize {
        self.origin.len() + usize::from(self.key.is_some())
    }

    fn step(&self, at: usize) -> Option<PathSegment> {
        match self.origin.get(at) {
            Some(segment) => Some(segment.clone()),
            None if at == self.origin.len() => self.key.map(|key| PathSegment::Key(key.into())),
            None => None,
        }
    }
}

/// Records that the object at `first` (`source`) owes `entity` to the one at `other` when
/// the two stand at the same place of the same list walk, identical but for what `first`
/// owes `other` already, and the entity's fields are new to both or there already with the
/// same values; false when not (the caller merges a copy now).
fn defer_copy(
    tree: &Data<'_>,
    copies: &mut DeferredCopies,
    source: Option<&Data<'_>>,
    first: &[PathSegment],
    other: &[PathSegment],
    entity: &Data<'_>,
) -> bool {
    let same_place = first.len() == other.len()
        && first.iter().zip(other).all(|pair| match pair {
            (PathSegment::Key(ours), PathSegment::Key(theirs)) => ours == theirs,
            (PathSegment::Index(_), PathSegment::Index(_)) => true,
            _ => false,
        });
    if !same_place {
        return false;
    }
    let (Data::Object(entity), Some(Data::Object(source)), Some(Data::Object(target))) =
        (entity, source, find(tree, other))
    else {
        return false;
    };
    let owed = copies
        .by_target
        .get(other)
        .copied()
        .filter(|at| copies.list[*at].from == first);
    let is_owed =
        |key: &str| owed.is_some_and(|at| copies.list[at].keys.iter().any(|owed| owed == key));
    let identical = target.entries().all(|(key, _)| source.contains_key(key))
        && source.entries().all(|(key, value)| match target.get(key) {
            Some(theirs) => theirs == value,
            None => is_owed(key),
        });
    if !identical {
        return false;
    }
    let mut keys = Vec::new();
    for (key, value) in entity.entries() {
        match (source.get(key), target.get(key)) {
            // A field both have with the entity's value (its key, `__typename`): merging it
            // changes nothing.
            (Some(ours), Some(theirs)) if ours == value && theirs == value => {}
            (None, None) if !is_owed(key) => keys.push(SmolStr::new(key)),
            _ => return false,
        }
    }
    match owed {
        Some(at) => copies.list[at].keys.extend(keys),
        None => {
            copies.by_target.insert(other.to_vec(), copies.list.len());
            copies.list.push(DeferredCopy {
                from: first.to_vec(),
                to: other.to_vec(),
                keys,
            });
        }
    }
    true
}

/// Whether [`merge`]-ing `source` into `target` leaves `source` as it is, with none of the
/// `copied` objects (by address) strictly inside `target`.
fn merges_into_source<V>(
    target: &Data<'_>,
    source: &Data<'_>,
    copied: &FxHashMap<usize, V>,
) -> bool {
    let inner = |target: &Data<'_>, source: &Data<'_>| {
        !copied.contains_key(&address(target)) && merges_into_source(target, source, copied)
    };
    match (target, source) {
        (Data::Object(target), Data::Object(source)) => target
            .entries()
            .all(|(key, value)| source.get(key).is_some_and(|theirs| inner(value, theirs))),
        (Data::List(target), Data::List(source)) => {
            target.len() == source.len()
                && target
                    .iter()
                    .zip(source)
                    .all(|(value, theirs)| inner(value, theirs))
        }
        (Data::Object(_) | Data::List(_), _) => false,
        // A null never erases a value; any other value of the source replaces the target's.
        (_, Data::Null) => target.is_null(),
        _ => true,
    }
}

/// Merges the object at `copy.from` into the one at `copy.to`: the entity it was owed and
/// whatever later fetches brought below it.
fn settle(tree: &mut Data<'_>, copy: &DeferredCopy) {
    let Some(source) = find(tree, &copy.from).cloned() else {
        return;
    };
    if let Some(target) = navigate(tree, &copy.to) {
        merge(target, source);
    }
}

/// The value at `path` in the tree, to read.
fn find<'v, 'a>(root: &'v Data<'a>, path: &[PathSegment]) -> Option<&'v Data<'a>> {
    let mut current = root;
    for segment in path {
        current = match (current, segment) {
            (Data::Object(object), PathSegment::Key(key)) => object.get(key)?,
            (Data::List(items), PathSegment::Index(index)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The value at `path` in the tree.
fn navigate<'v, 'a>(root: &'v mut Data<'a>, path: &[PathSegment]) -> Option<&'v mut Data<'a>> {
    let mut current = root;
    for segment in path {
        current = match (current, segment) {
            (Data::Object(object), PathSegment::Key(key)) => object.get_mut(key)?,
            (Data::List(items), PathSegment::Index(index)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Deep-merges `source` into `target`. A null never erases a value already there: an entity
/// that a subgraph could not resolve leaves the object it was asked about as it was.
pub(crate) fn merge<'a>(target: &mut Data<'a>, source: Data<'a>) {
    match (target, source) {
        (Data::Object(target), Data::Object(source)) => {
            for (key, value) in source.into_entries() {
                match target.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => target.push_new(key, value),
                }
            }
        }
        (Data::List(target), Data::List(source)) if target.len() == source.len() => {
            for (existing, value) in target.iter_mut().zip(source) {
                merge(existing, value);
            }
        }
        (_, Data::Null) => {}
        (target, source) => *target = source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(value: serde_json::Value) -> Data<'static> {
        owned(Data::parse(value.to_string().as_bytes()).unwrap())
    }

    #[test]
    fn merging_keeps_what_is_there_and_adds_the_rest() {
        let mut tree = data(json!({"units": [{"id": "1", "name": "A"}, {"id": "2"}]}));
        merge(
            &mut tree,
            data(json!({"units": [{"workers": 3}, {"workers": null, "name": "B"}]})),
        );
        assert_eq!(
            serde_json::to_value(&tree).unwrap(),
            json!({"units": [{"id": "1", "name": "A", "workers": 3}, {"id": "2", "workers": null, "name": "B"}]})
        );
    }

    /// The path of the home unit of unit `index`.
    fn home(index: usize) -> Vec<PathSegment> {
        vec![
            PathSegment::Key("units".into()),
            PathSegment::Index(index),
            PathSegment::Key("home".into()),
        ]
    }

    /// The units of `tree`, the home units of each pair `(from, to)` owed alike.
    fn owed(tree: serde_json::Value, copies: &[(usize, usize)]) -> Execution<'static> {
        Execution {
            data: data(tree),
            errors: Vec::new(),
            copies: copies
                .iter()
                .map(|(from, to)| DeferredCopy {
                    from: home(*from),
                    to: home(*to),
                    keys: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_copy_is_shown_from_its_source_only_where_making_it_would_read_the_same() {
        let units = |first: serde_json::Value, second: serde_json::Value| json!({"units": [{"home": first}, {"home": second}]});
        let source = json!({"id": "h", "name": "甲", "activities": [{"id": "a"}]});
        // What the target holds is the source's, or replaced by it: shown.
        for target in [json!({"id": "h"}), json!({"id": "h", "name": "乙"})] {
            let execution = owed(units(source.clone(), target), &[(0, 1)]);
            let shown = execution.shown().expect("shown");
            let [first, second] = [0, 1].map(|index| find(&execution.data, &home(index)).unwrap());
            assert!(std::ptr::eq(shown.at(second).0, first));
            assert!(shown.at(first).1, "the source is shown elsewhere too");
        }
        // Something of the target's own that merging would keep: the copies are made.
        let unnamed = json!({"id": "h", "name": null});
        for (source, target, made) in [
            (
                source.clone(),
                json!({"id": "h", "motto": "求是"}),
                json!({"id": "h", "motto": "求是", "name": "甲", "activities": [{"id": "a"}]}),
            ),
            (
                unnamed.clone(),
                json!({"id": "h", "name": "乙"}),
                json!({"id": "h", "name": "乙"}),
            ),
        ] {
            let mut execution = owed(units(source.clone(), target.clone()), &[(0, 1)]);
            assert!(execution.shown().is_none(), "{target}");
            execution.make_copies();
            assert_eq!(
                serde_json::to_value(&execution.data).unwrap(),
                units(source, made)
            );
        }
        // Two copies owed to one target, and a copy's source inside another's target.
        let mut twice = owed(
            json!({"units": [{"home": {"id": "h"}}, {"home": {"id": "h"}}, {"home": {"id": "h"}}]}),
            &[(0, 2), (1, 2)],
        );
        assert!(twice.shown().is_none());
        twice.make_copies();
        let nested = Execution {
            copies: vec![
                DeferredCopy {
                    from: vec![PathSegment::Key("a".into())],
                    to: vec![PathSegment::Key("b".into())],
                    keys: Vec::new(),
                },
                DeferredCopy {
                    from: vec![PathSegment::Key("b".into()), PathSegment::Key("c".into())],
                    to: vec![PathSegment::Key("d".into())],
                    keys: Vec::new(),
                },
            ],
            ..owed(
                json!({"a": {"c": {"id": 1}}, "b": {"c": {"id": 1}}, "d": {"id": 1}}),
                &[],
            )
        };
        assert!(nested.shown().is_none());
    }

    #[test]
    fn the_common_path_is_the_narrowest_subtree_holding_every_position() {
        let key = |k: &str| PathSegment::Key(k.into());
        let origins = [
            vec![vec![key("units"), PathSegment::Index(0)]],
            vec![vec![key("units"), PathSegment::Index(1)]],
        ];
        assert_eq!(
            common_path(origins.iter().flatten(), &["workers"]),
            Some(vec![key("units")])
        );
        assert_eq!(
            common_path(origins[..1].iter().flatten(), &["workers"]),
            Some(vec![key("units"), PathSegment::Index(0), key("workers")])
        );
        assert_eq!(common_path(&[vec![]], &["a", "b"]), None);
        // The root's field `a` and the field `a` of the object at `a`: both below `a`.
        assert_eq!(
            common_path(&[vec![], vec![key("a")]], &["a"]),
            Some(vec![key("a")])
        );
        // A key never matches a list index.
        assert_eq!(
            common_path(
                &[
                    vec![key("units"), PathSegment::Index(0)],
                    vec![key("units")]
                ],
                &["0"]
            ),
            Some(vec![key("units")])
        );
        // Without keys, the origins alone.
        assert_eq!(
            common_path(origins.iter().flatten(), &[]),
            Some(vec![key("units")])
        );
    }
}
