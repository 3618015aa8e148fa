//! What the demo-data generators of the four subgraphs share: the city being built, a
//! deterministic random source per subgraph, plausible Chinese names, and progress output.
//!
//! Organizations generates the unit tree first; talent then generates workers attached to
//! it; popularization and advice use both. Everything derives from one seed, so the same
//! seed and scale always give the same city.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use kexie_subgraph_kit::unit_tree::ReplicatedUnit;

/// The first and last day of the generated history (three years).
pub fn history_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
}
pub fn history_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default()
}

/// A unit of the generated city.
#[derive(Clone, Debug)]
pub struct DemoUnit {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// CITY, DISTRICT, TOWNSHIP, ENTERPRISE, UNIVERSITY, SOCIETY, RURAL_TECH or SENIOR.
    pub kind: &'static str,
    pub name: String,
    pub division_code: Option<String>,
    pub founded_on: NaiveDate,
}

/// A worker of the generated city.
#[derive(Clone, Debug)]
pub struct DemoWorker {
    pub id: Uuid,
    pub home_unit_id: Uuid,
    pub name: String,
}

/// The city as generated so far.
#[derive(Clone, Debug, Default)]
pub struct DemoCity {
    pub seed: u64,
    /// 1 is one city: 9 districts, 150 townships, 600 base organizations, 20,000
    /// workers, 50,000 activities over three years and 5,000 submissions.
    pub scale: u32,
    pub units: Vec<DemoUnit>,
    pub workers: Vec<DemoWorker>,
}

impl DemoCity {
    pub fn new(seed: u64, scale: u32) -> Self {
        DemoCity {
            seed,
            scale,
            ..DemoCity::default()
        }
    }

    /// A city shaped like the generated one, at the smallest size whose townships still hold
    /// records of every kind every quarter: three districts of four townships (each with a
    /// rural technical association and an enterprise association), societies in the city and
    /// the districts, a university, and twelve workers at home in every unit; fixed IDs, so
    /// that every run generates the same city. For the figures tests, which compare every
    /// figure with an independent count over it.
    pub fn compact() -> DemoCity {
        let mut city = DemoCity::new(2026, 1);
        let founded_on = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        let mut add =
            |parent: Option<Uuid>, kind: &'static str, name: String, code: Option<String>| {
                // Fixed IDs, so that every run generates the same city.
                let id = Uuid::from_u128(
                    0x0190_0000_0000_7000_8000_0000_0000_0000 + city.units.len() as u128,
                );
                city.units.push(DemoUnit {
                    id,
                    parent_id: parent,
                    kind,
                    name,
                    division_code: code,
                    founded_on,
                });
                id
            };
        let root = add(
            None,
            "CITY",
            "绵阳市科学技术协会".into(),
            Some("510700".into()),
        );
        for n in 0..6 {
            add(Some(root), "SOCIETY", format!("绵阳市第{n}学会"), None);
        }
        add(Some(root), "UNIVERSITY", "西南科技大学科协".into(), None);
        add(Some(root), "SENIOR", "绵阳市老科技工作者协会".into(), None);
        for (d, district) in ["涪城区", "游仙区", "三台县"].iter().enumerate() {
            let code = format!("5107{:02}", d + 3);
            let district_id = add(
                Some(root),
                "DISTRICT",
                format!("{district}科学技术协会"),
                Some(code.clone()),
            );
            add(
                Some(district_id),
                "SENIOR",
                format!("{district}老科协"),
                None,
            );
            for n in 0..3 {
                add(
                    Some(district_id),
                    "SOCIETY",
                    format!("{district}第{n}学会"),
                    None,
                );
                add(
                    Some(district_id),
                    "ENTERPRISE",
                    format!("{district}第{n}股份有限公司科协"),
                    None,
                );
            }
            for (t, place) in ["青义镇", "石马镇", "城南街道", "柏林乡"]
                .iter()
                .enumerate()
            {
                let township_id = add(
                    Some(district_id),
                    "TOWNSHIP",
                    format!("{district}{place}科协"),
                    Some(format!("{code}{:03}", 100 + t)),
                );
                add(
                    Some(township_id),
                    "RURAL_TECH",
                    format!("{place}猕猴桃专业技术协会"),
                    None,
                );
                add(
                    Some(township_id),
                    "ENTERPRISE",
                    format!("四川{place}电子科技有限公司科协"),
                    None,
                );
            }
        }
        let homes: Vec<Uuid> = city.units.iter().map(|unit| unit.id).collect();
        city.workers = homes
            .iter()
            .flat_map(|home| std::iter::repeat_n(*home, 12))
            .enumerate()
            .map(|(index, home)| DemoWorker {
                id: Uuid::from_u128(0x0191_0000_0000_7000_8000_0000_0000_0000 + index as u128),
                home_unit_id: home,
                name: format!("科技工作者{index}"),
            })
            .collect();
        city
    }

    /// A random source for one part of the generation, independent of the others, so
    /// that changing one subgraph's generator leaves the others' data as it was.
    pub fn rng(&self, part: &str) -> StdRng {
        let mut state = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        for byte in part.bytes() {
            state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        StdRng::seed_from_u64(state)
    }

    /// The tree as organizations publishes it right after seeding (every unit active).
    pub fn replicated_units(&self) -> Vec<ReplicatedUnit> {
        let mut paths: HashMap<Uuid, String> = HashMap::with_capacity(self.units.len());
        self.units
            .iter()
            .map(|unit| {
                let parent_path = unit
                    .parent_id
                    .and_then(|parent| paths.get(&parent).cloned())
                    .unwrap_or_else(|| "/".to_string());
                let path = format!("{parent_path}{}/", unit.id);
                paths.insert(unit.id, path.clone());
                ReplicatedUnit {
                    id: unit.id,
                    parent_id: unit.parent_id,
                    path,
                    kind: unit.kind.to_string(),
                    status: "ACTIVE".to_string(),
                    name: unit.name.clone(),
                    division_code: unit.division_code.clone(),
                }
            })
            .collect()
    }

    /// Units of the given kinds.
    pub fn units_of<'a>(&'a self, kinds: &'a [&str]) -> impl Iterator<Item = &'a DemoUnit> + 'a {
        self.units
            .iter()
            .filter(move |unit| kinds.contains(&unit.kind))
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玉", "兰", "志", "红",
    "晓", "宇", "鹏", "飞", "婷", "雪", "琳", "欣", "浩", "博", "思", "佳", "嘉", "俊", "子", "梓",
    "海", "波", "斌", "宁", "德", "林", "春", "云", "成", "荣", "新", "学", "永", "小", "金", "峰",
];

/// A plausible Chinese personal name: a common surname and one or two given characters.
pub fn person_name(rng: &mut impl Rng) -> String {
    let mut name = String::from(SURNAMES[rng.gen_range(0..SURNAMES.len())]);
    name.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    if rng.gen_bool(0.7) {
        name.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    name
}

/// Picks from `choices` with the given weights.
pub fn weighted<'a, T>(rng: &mut impl Rng, choices: &'a [(T, u32)]) -> &'a T {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut pick = rng.gen_range(0..total.max(1));
    for (choice, weight) in choices {
        if pick < *weight {
            return choice;
        }
        pick -= weight;
    }
    &choices[choices.len() - 1].0
}

/// A uniformly random day between `start` and `end` inclusive.
pub fn day_between(rng: &mut impl Rng, start: NaiveDate, end: NaiveDate) -> NaiveDate {
    let days = (end - start).num_days().max(0);
    start + chrono::Duration::days(rng.gen_range(0..=days))
}

/// Progress of one generation step on standard error: `talent: workers 12000/20000`.
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    started: Instant,
}

impl Progress {
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        let progress = Progress {
            label: label.into(),
            total,
            done: 0,
            started: Instant::now(),
        };
        progress.print();
        progress
    }

    pub fn advance(&mut self, by: usize) {
        self.done = (self.done + by).min(self.total);
        self.print();
    }

    pub fn finish(self) {
        eprintln!(
            "\r{}: {}/{} in {:.1}s",
            self.label,
            self.total,
            self.total,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn print(&self) {
        eprint!("\r{}: {}/{}", self.label, self.done, self.total);
        let _ = std::io::stderr().flush();
    }
}
