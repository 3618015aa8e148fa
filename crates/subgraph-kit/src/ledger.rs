//! The figure ledger: every subgraph's figures kept as dated deltas per unit subtree, figure
//! and key (the enum value a figure is broken down by), summed per day, month and year in
//! the `figure_ledger` table by triggers in the same transaction as every write (the
//! `*_figure_ledger.sql` and `*_figure_subtree.sql` migrations say how). A unit's rows hold
//! the sums of its whole subtree: a record counts in its unit and every ancestor, and when
//! the tree changes the sums move with it. So a figure of a subtree for a period reads that
//! one unit's rows for the whole years inside the period, the whole months at its edges and
//! the single days at the very edges ([`cover`]): at most a few dozen rows per key, however
//! many units and records the subtree has.
//!
//! A *flow* (activities held, honors awarded) sums its deltas over the period; a *stock*
//! (workers registered, venues open) sums them from the beginning up to the period's last
//! day, its records adding +1 on the day they start to count and -1 on the day they stop.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use rustc_hash::FxHashMap;
use sqlx::PgPool;
use uuid::Uuid;

use crate::figures::{count, Scope};
use crate::rollup::Period;

/// How a figure adds up over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Summed over the period: what happened within it.
    Flow,
    /// Summed over the whole years the period touches (research topics of a year).
    FlowOfYears,
    /// Summed up to the period's last day: what stood on that day.
    Stock,
    /// Summed up to the period's last day, or today (UTC+8) when that is still to come.
    StockToDate,
}

/// One figure of the ledger, as the subgraph's `figure_contributions` names it.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub name: &'static str,
    pub measure: Measure,
}

impl Figure {
    pub const fn flow(name: &'static str) -> Self {
        Figure {
            name,
            measure: Measure::Flow,
        }
    }

    pub const fn stock(name: &'static str) -> Self {
        Figure {
            name,
            measure: Measure::Stock,
        }
    }
}

/// The sums of one bucket (a unit's subtree): by figure, then by key. A key's name is
/// shared, not copied, by every tally it is added to (a series makes thousands).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    sums: FxHashMap<&'static str, FxHashMap<Arc<str>, i64>>,
}

impl Tally {
    /// Adds `value` to `figure`'s `key`, copying the key's name only the first time this
    /// tally sees it.
    pub fn add(&mut self, figure: &'static str, key: &str, value: i64) {
        self.add_named(figure, key, value, || Arc::from(key));
    }

    /// [`Tally::add`] with the name of a key another tally holds, shared instead of copied.
    fn add_shared(&mut self, figure: &'static str, key: &Arc<str>, value: i64) {
        self.add_named(figure, key, value, || Arc::clone(key));
    }

    fn add_named(
        &mut self,
        figure: &'static str,
        key: &str,
        value: i64,
        name: impl FnOnce() -> Arc<str>,
    ) {
        let keys = self.sums.entry(figure).or_default();
        match keys.get_mut(key) {
            Some(sum) => *sum += value,
            None => {
                keys.insert(name(), value);
            }
        }
    }

    /// Adds every sum of `other` whose figure `keep` accepts.
    fn add_all(&mut self, other: &Tally, keep: impl Fn(&str) -> bool) {
        for (figure, keys) in &other.sums {
            if keep(figure) {
                for (key, value) in keys {
                    self.add_shared(figure, key, *value);
                }
            }
        }
    }

    /// `figure` over all its keys, as a GraphQL `Int`.
    pub fn total(&self, figure: &str) -> i32 {
        count(self.sum_of(figure))
    }

    /// `figure` over all its keys, at full width (to rank by).
    pub fn sum_of(&self, figure: &str) -> i64 {
        self.sums.get(figure).map_or(0, |keys| keys.values().sum())
    }

    /// `figure` of one key, as a GraphQL `Int`.
    pub fn value(&self, figure: &str, key: &str) -> i32 {
        count(self.sum(figure, key))
    }

    /// `figure` of one key, at full width.
    pub fn sum(&self, figure: &str, key: &str) -> i64 {
        self.sums
            .get(figure)
            .and_then(|keys| keys.get(key))
            .copied()
            .unwrap_or(0)
    }

    /// `figure` by every value of the enum `T` (keyed by the value's GraphQL name), in
    /// declaration order, zeros included, so a dashboard's columns never shift.
    pub fn breakdown<T: async_graphql::EnumType, C>(
        &self,
        figure: &str,
        make: impl Fn(T, i32) -> C,
    ) -> Vec<C> {
        T::items()
            .iter()
            .map(|item| make(item.value, self.value(figure, item.name)))
            .collect()
    }
}

/// A grain of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    Day,
    Month,
    Year,
}

impl Grain {
    fn code(self) -> &'static str {
        match self {
            Grain::Day => "D",
            Grain::Month => "M",
            Grain::Year => "Y",
        }
    }
}

/// Ledger rows of one grain whose period starts in `[from, until)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub grain: Grain,
    pub from: NaiveDate,
    pub until: NaiveDate,
}

/// The first day anything can count on: a stock sums its deltas from here.
pub fn beginning() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date")
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn year_start(day: NaiveDate) -> NaiveDate {
    day.with_ordinal(1).expect("every year has a first day")
}

/// The first day of a month on or after `day`.
fn month_start_on_or_after(day: NaiveDate) -> NaiveDate {
    if day.day() == 1 {
        day
    } else {
        month_start(day) + Months::new(1)
    }
}

/// The first day of a year on or after `day`.
fn year_start_on_or_after(day: NaiveDate) -> NaiveDate {
    if day.ordinal() == 1 {
        day
    } else {
        year_start(day) + Months::new(12)
    }
}

/// The days `[from, until)` as the fewest ledger rows per key: single days up to the first
/// month boundary, months up to the first year boundary, whole years, then months and days
/// again up to `until`. Every day of the range lies in exactly one span's rows.
pub fn cover(from: NaiveDate, until: NaiveDate) -> Vec<Span> {
    let span = |grain, from, until| Span { grain, from, until };
    let (first_month, first_year) = (month_start_on_or_after(from), year_start_on_or_after(from));
    let (last_month, last_year) = (month_start(until), year_start(until));
    let spans = if first_year <= last_year {
        vec![
            span(Grain::Day, from, first_month),
            span(Grain::Month, first_month, first_year),
            span(Grain::Year, first_year, last_year),
            span(Grain::Month, last_year, last_month),
            span(Grain::Day, last_month, until),
        ]
    } else if first_month <= last_month {
        vec![
            span(Grain::Day, from, first_month),
            span(Grain::Month, first_month, last_month),
            span(Grain::Day, last_month, until),
        ]
    } else {
        vec![span(Grain::Day, from, until)]
    };
    spans
        .into_iter()
        .filter(|span| span.from < span.until)
        .collect()
}

/// What one part of a read covers: `figures` over `spans`.
#[derive(Clone, Debug)]
pub struct Window {
    pub figures: Vec<&'static str>,
    pub spans: Vec<Span>,
}

impl Window {
    /// `figures` over the days `[from, until)`.
    pub fn over(figures: Vec<&'static str>, from: NaiveDate, until: NaiveDate) -> Self {
        Window {
            figures,
            spans: cover(from, until),
        }
    }

    /// `figures` month by month: their month rows from `from` (a month's first day) until
    /// `until` (a month's first day), each row's period its month.
    pub fn monthly(figures: Vec<&'static str>, from: NaiveDate, until: NaiveDate) -> Self {
        Window {
            figures,
            spans: vec![Span {
                grain: Grain::Month,
                from,
                until,
            }],
        }
    }
}

/// What one lookup of a read found: the ledger rows of one unit, span and figure, with the
/// bucket and window they count in, as parallel arrays (one per row).
#[derive(Debug, sqlx::FromRow)]
pub struct Lookup {
    pub bucket: Uuid,
    /// The position of its window in the read.
    pub window: i32,
    pub figure: String,
    /// The first day of each row's period.
    pub periods: Vec<NaiveDate>,
    pub keys: Vec<String>,
    pub deltas: Vec<i64>,
}

impl Lookup {
    /// Each row as (the first day of its period, key, delta).
    pub fn rows(&self) -> impl Iterator<Item = (NaiveDate, &str, i64)> + '_ {
        self.periods
            .iter()
            .zip(&self.keys)
            .zip(&self.deltas)
            .map(|((period, key), delta)| (*period, key.as_str(), *delta))
    }

    /// Its figure among `figures` (those the read asked for).
    fn figure(&self, figures: &[Figure]) -> Option<Figure> {
        figures
            .iter()
            .find(|figure| figure.name == self.figure)
            .copied()
    }
}

/// The ledger rows of every window over the units of `scope`, in one statement (one
/// snapshot, so the windows agree with each other), one [`Lookup`] per unit, span and
/// figure that found rows; the caller adds them up per bucket ([`Tally`]).
///
/// Each (unit, span, figure) reads its own range of the ledger's key, an aggregate that
/// the planner cannot flatten into a join (flattened, it read every row of each unit — all
/// figures, grains and years: 5,259 index entries for the city at scale 1 — and filtered
/// them afterwards: the innovation overview read at scale 10 took 60.8 ms, 12.2 ms as
/// lookups). The rows come back as arrays, one result row per lookup, ungrouped: grouping
/// them made PostgreSQL sort them, most of a read's time (popularization's by-month series
/// at scale 10: 48 ms grouped, 9.6 ms not), and a result row per ledger row cost the
/// subgraph more to receive than the arrays; the subgraph adds every row into a tally
/// either way. See bench/README.md. With the shape fixed, the statement is prepared once
/// per connection.
pub async fn read(pool: &PgPool, scope: &Scope, windows: &[Window]) -> sqlx::Result<Vec<Lookup>> {
    let mut spans = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut wanted = (Vec::new(), Vec::new());
    for (position, window) in (0..).zip(windows) {
        for span in &window.spans {
            spans.0.push(position);
            spans.1.push(span.grain.code());
            spans.2.push(span.from);
            spans.3.push(span.until);
        }
        for figure in &window.figures {
            wanted.0.push(position);
            wanted.1.push(*figure);
        }
    }
    sqlx::query_as(
        "with scope as (
             select * from unnest($1::uuid[], $2::uuid[]) as s(unit_id, bucket)
         ),
         spans as (
             select * from unnest($3::int[], $4::text[], $5::date[], $6::date[])
                 as c(window_id, grain, from_day, until_day)
         ),
         wanted as (
             select * from unnest($7::int[], $8::text[]) as w(window_id, figure)
         )
         select s.bucket, c.window_id as window, w.figure, l.periods, l.keys, l.deltas
         from scope s
         cross join spans c
         join wanted w on w.window_id = c.window_id
         cross join lateral (
             select array_agg(l.period_start) as periods, array_agg(l.key) as keys,
                    array_agg(l.delta)::bigint[] as deltas
             from figure_ledger l
             where l.unit_id = s.unit_id and l.grain = c.grain::\"char\" and l.figure = w.figure
               and l.period_start >= c.from_day and l.period_start < c.until_day
         ) l
         where l.keys is not null",
    )
    .bind(&scope.units)
    .bind(&scope.buckets)
    .bind(&spans.0)
    .bind(&spans.1)
    .bind(&spans.2)
    .bind(&spans.3)
    .bind(&wanted.0)
    .bind(&wanted.1)
    .fetch_all(pool)
    .await
}

/// The windows that read `figures` for `period`: a window per measure.
pub fn windows_of(figures: &[Figure], period: Period, today: NaiveDate) -> Vec<Window> {
    let names = |measure: Measure| -> Vec<&'static str> {
        figures
            .iter()
            .filter(|figure| figure.measure == measure)
            .map(|figure| figure.name)
            .collect()
    };
    let after = |day: NaiveDate| day.succ_opt().unwrap_or(day);
    let years = (
        year_start(period.from),
        year_start(period.to) + Months::new(12),
    );
    [
        Window::over(names(Measure::Flow), period.from, after(period.to)),
        Window::over(names(Measure::FlowOfYears), years.0, years.1),
        Window::over(names(Measure::Stock), beginning(), after(period.to)),
        Window::over(
            names(Measure::StockToDate),
            beginning(),
            after(period.to.min(today)),
        ),
    ]
    .into_iter()
    .filter(|window| !window.figures.is_empty())
    .collect()
}

/// The tally of every bucket of `scope` for `period` (buckets with nothing counted
/// included, empty).
pub async fn tallies(
    pool: &PgPool,
    scope: &Scope,
    figures: &[Figure],
    period: Period,
    today: NaiveDate,
) -> sqlx::Result<HashMap<Uuid, Tally>> {
    let lookups = read(pool, scope, &windows_of(figures, period, today)).await?;
    let mut tallies: HashMap<Uuid, Tally> = scope
        .bucket_names
        .keys()
        .map(|bucket| (*bucket, Tally::default()))
        .collect();
    for lookup in lookups {
        let Some(figure) = lookup.figure(figures) else {
            continue;
        };
        let tally = tallies.entry(lookup.bucket).or_default();
        for (_, key, delta) in lookup.rows() {
            tally.add(figure.name, key, delta);
        }
    }
    Ok(tallies)
}

/// How long each point of a series is.
#[derive(async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum Every {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl Every {
    fn months(self) -> u32 {
        match self {
            Every::Month => 1,
            Every::Quarter => 3,
            Every::Year => 12,
        }
    }
}

/// The most points one series may have (twenty years by month).
pub const MAX_POINTS: usize = 240;

/// The points of a series: the calendar months, quarters or years from the one holding
/// `from` to the one holding `to`, each as a period.
pub fn points(from: NaiveDate, to: NaiveDate, every: Every) -> Vec<Period> {
    let months = every.months();
    let month_index = month_start(from).month0();
    let mut start = month_start(from) - Months::new(month_index % months);
    let mut points = Vec::new();
    while start <= to && points.len() <= MAX_POINTS {
        let next = start + Months::new(months);
        points.push(Period {
            from: start,
            to: next.pred_opt().unwrap_or(next),
        });
        start = next;
    }
    points
}

/// The same period a year earlier (29 February becomes the 28th).
pub fn year_earlier(period: Period) -> Period {
    Period {
        from: period.from - Months::new(12),
        to: period.to - Months::new(12),
    }
}

/// The tallies of a series: for every bucket of `scope`, one tally per period of `points`
/// (whole calendar months, as [`points`] makes them), and one per period a year earlier
/// ([`year_earlier`]), from one statement reading the ledger month by month.
pub async fn series(
    pool: &PgPool,
    scope: &Scope,
    figures: &[Figure],
    points: &[Period],
    today: NaiveDate,
) -> sqlx::Result<HashMap<Uuid, Vec<(Tally, Tally)>>> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(HashMap::new());
    };
    // From the first day of the year the earliest year-earlier point starts in (a flow over
    // whole years needs its months) to the end of the last point.
    let from = year_start(year_earlier(*first).from);
    let until = last.to.succ_opt().unwrap_or(last.to);
    let all: Vec<&'static str> = figures.iter().map(|figure| figure.name).collect();
    let stocks: Vec<&'static str> = figures
        .iter()
        .filter(|figure| matches!(figure.measure, Measure::Stock | Measure::StockToDate))
        .map(|figure| figure.name)
        .collect();
    let to_date: Vec<&'static str> = figures
        .iter()
        .filter(|figure| figure.measure == Measure::StockToDate)
        .map(|figure| figure.name)
        .collect();
    let mut windows = vec![
        Window::over(stocks, beginning(), from),
        Window::monthly(all, from, until),
    ];
    // A stock to date in a point that ends after today stands as it does today.
    if !to_date.is_empty() && last.to > today {
        windows.push(Window::over(
            to_date,
            beginning(),
            today.succ_opt().unwrap_or(today),
        ));
    }
    let lookups = read(pool, scope, &windows).await?;

    let measure_of = |name: &str| {
        figures
            .iter()
            .find(|figure| figure.name == name)
            .map(|figure| figure.measure)
    };
    let mut before: HashMap<Uuid, Tally> = HashMap::new();
    let mut monthly: HashMap<Uuid, MonthlyRows> = HashMap::new();
    let mut on_today: HashMap<Uuid, Tally> = HashMap::new();
    for lookup in lookups {
        let Some(figure) = lookup.figure(figures) else {
            continue;
        };
        let tally = match lookup.window {
            0 => before.entry(lookup.bucket).or_default(),
            1 => {
                let rows = monthly.entry(lookup.bucket).or_default();
                let months = match figure.measure {
                    Measure::Flow => &mut rows.flows,
                    Measure::FlowOfYears => &mut rows.flows_of_years,
                    Measure::Stock | Measure::StockToDate => &mut rows.stocks,
                };
                for (month, key, delta) in lookup.rows() {
                    months
                        .entry(month)
                        .or_default()
                        .add(figure.name, key, delta);
                }
                continue;
            }
            _ => on_today.entry(lookup.bucket).or_default(),
        };
        for (_, key, delta) in lookup.rows() {
            tally.add(figure.name, key, delta);
        }
    }

    let everything = |_: &str| true;
    let empty = Tally::default();
    let no_rows = MonthlyRows::default();
    let mut result = HashMap::new();
    for bucket in scope.bucket_names.keys() {
        let before = before.get(bucket).unwrap_or(&empty);
        let rows = monthly.get(bucket).unwrap_or(&no_rows);
        let on_today = on_today.get(bucket).unwrap_or(&empty);
        // The stocks as they stand at the end of each month: what stood before the series
        // plus every month up to it, added up once rather than once per point.
        let mut standing = before.clone();
        let stocks_by_month: BTreeMap<NaiveDate, Tally> = rows
            .stocks
            .iter()
            .map(|(month, sums)| {
                standing.add_all(sums, everything);
                (*month, standing.clone())
            })
            .collect();
        let tally_of = |period: Period| {
            let stocks = stocks_by_month
                .range(..=period.to)
                .next_back()
                .map_or(before, |(_, stocks)| stocks);
            let mut tally = if period.to <= today {
                stocks.clone()
            } else {
                // A stock to date in a point that ends after today stands as it does today.
                let mut tally = Tally::default();
                tally.add_all(stocks, |figure| measure_of(figure) == Some(Measure::Stock));
                tally.add_all(on_today, everything);
                tally
            };
            // Flows: the months inside the period, or inside the years it touches.
            for (_, sums) in rows.flows.range(period.from..=period.to) {
                tally.add_all(sums, everything);
            }
            let years = (
                year_start(period.from),
                year_start(period.to) + Months::new(12),
            );
            for (_, sums) in rows.flows_of_years.range(years.0..years.1) {
                tally.add_all(sums, everything);
            }
            tally
        };
        let tallies = points
            .iter()
            .map(|point| (tally_of(*point), tally_of(year_earlier(*point))))
            .collect();
        result.insert(*bucket, tallies);
    }
    Ok(result)
}

/// A bucket's month rows in a series, apart by how their figures add up over time, so that
/// a point adds only the rows that count in it.
#[derive(Default)]
struct MonthlyRows {
    /// Stocks, and stocks to date.
    stocks: BTreeMap<NaiveDate, Tally>,
    flows: BTreeMap<NaiveDate, Tally>,
    flows_of_years: BTreeMap<NaiveDate, Tally>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Every day of the range in exactly one span, and no span outside it.
    fn days_of(spans: &[Span]) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        for span in spans {
            let mut start = span.from;
            while start < span.until {
                let next = match span.grain {
                    Grain::Day => start.succ_opt().unwrap(),
                    Grain::Month => start + Months::new(1),
                    Grain::Year => start + Months::new(12),
                };
                assert!(next <= span.until, "{span:?} ends inside a period");
                let mut d = start;
                while d < next {
                    days.push(d);
                    d = d.succ_opt().unwrap();
                }
                start = next;
            }
        }
        days.sort();
        days
    }

    #[test]
    fn a_cover_holds_each_day_of_its_range_once() {
        for (from, until) in [
            ("2026-01-01", "2027-01-01"),
            ("2026-01-15", "2026-03-10"),
            ("2026-01-15", "2026-01-20"),
            ("2026-01-15", "2026-02-01"),
            ("2024-02-29", "2028-03-01"),
            ("2023-12-31", "2024-01-01"),
            ("2026-03-01", "2026-04-01"),
        ] {
            let (from, until) = (day(from), day(until));
            let spans = cover(from, until);
            let mut expected = Vec::new();
            let mut d = from;
            while d < until {
                expected.push(d);
                d = d.succ_opt().unwrap();
            }
            assert_eq!(days_of(&spans), expected, "{from}..{until}");
            assert!(spans.len() <= 5);
        }
        // A stock reads whole years from the beginning: a handful of spans.
        let spans = cover(beginning(), day("2026-05-18"));
        assert_eq!(
            spans,
            vec![
                Span {
                    grain: Grain::Year,
                    from: beginning(),
                    until: day("2026-01-01")
                },
                Span {
                    grain: Grain::Month,
                    from: day("2026-01-01"),
                    until: day("2026-05-01")
                },
                Span {
                    grain: Grain::Day,
                    from: day("2026-05-01"),
                    until: day("2026-05-18")
                },
            ]
        );
    }

    #[test]
    fn points_are_whole_calendar_periods() {
        let quarters = points(day("2025-02-10"), day("2025-11-30"), Every::Quarter);
        let bounds: Vec<(String, String)> = quarters
            .iter()
            .map(|p| (p.from.to_string(), p.to.to_string()))
            .collect();
        assert_eq!(
            bounds,
            vec![
                ("2025-01-01".into(), "2025-03-31".into()),
                ("2025-04-01".into(), "2025-06-30".into()),
                ("2025-07-01".into(), "2025-09-30".into()),
                ("2025-10-01".into(), "2025-12-31".into()),
            ]
        );
        assert_eq!(
            points(day("2024-06-01"), day("2026-01-01"), Every::Year).len(),
            3
        );
        assert_eq!(
            points(day("2024-02-15"), day("2024-02-15"), Every::Month).len(),
            1
        );
        assert_eq!(
            year_earlier(Period {
                from: day("2024-02-01"),
                to: day("2024-02-29")
            })
            .to,
            day("2023-02-28")
        );
    }
}
