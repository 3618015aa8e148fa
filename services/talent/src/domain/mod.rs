//! The talent domain: who an S&T worker is, the levels of honors, and the two workflows
//! (nominations and workstations) with the steps each allows. Also the validated forms of
//! the inputs that need more than a length check (phone numbers, e-mail addresses).

use async_graphql::Enum;
use chrono::{Datelike, Duration, Utc};

use kexie_subgraph_kit::{ApiError, ApiResult};

/// 性别
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
        }
    }
}

/// 职称: professional title, junior to senior.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProfessionalTitle {
    /// 初级
    Junior,
    /// 中级
    Intermediate,
    /// 副高级
    AssociateSenior,
    /// 正高级
    Senior,
}

impl ProfessionalTitle {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfessionalTitle::Junior => "JUNIOR",
            ProfessionalTitle::Intermediate => "INTERMEDIATE",
            ProfessionalTitle::AssociateSenior => "ASSOCIATE_SENIOR",
            ProfessionalTitle::Senior => "SENIOR",
        }
    }
}

/// The level of the body conferring an honor.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HonorLevel {
    /// 国家级
    National,
    /// 省级
    Provincial,
    /// 市级
    City,
    /// 区县级
    District,
}

impl HonorLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            HonorLevel::National => "NATIONAL",
            HonorLevel::Provincial => "PROVINCIAL",
            HonorLevel::City => "CITY",
            HonorLevel::District => "DISTRICT",
        }
    }
}

/// Where a nomination (举荐) stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NominationStatus {
    /// 已推荐: put forward by the nominating unit.
    Nominated,
    /// 入围: passed the first review.
    Shortlisted,
    /// 获评: awarded; the honor record exists.
    Awarded,
    /// 未入选
    NotSelected,
}

impl NominationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NominationStatus::Nominated => "NOMINATED",
            NominationStatus::Shortlisted => "SHORTLISTED",
            NominationStatus::Awarded => "AWARDED",
            NominationStatus::NotSelected => "NOT_SELECTED",
        }
    }

    /// Whether the workflow allows going from `self` to `to`.
    pub fn can_become(self, to: NominationStatus) -> bool {
        use NominationStatus::*;
        matches!(
            (self, to),
            (Nominated, Shortlisted)
                | (Nominated, NotSelected)
                | (Shortlisted, Awarded)
                | (Shortlisted, NotSelected)
        )
    }

    /// Still under review: its details may be corrected.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NominationStatus::Nominated | NominationStatus::Shortlisted
        )
    }

    /// Checks one step of the workflow.
    pub fn transition(self, to: NominationStatus) -> ApiResult<NominationStatus> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(ApiError::IllegalTransition {
                entity: "Nomination",
                from: self.as_str().to_string(),
                to: to.as_str().to_string(),
            })
        }
    }
}

/// The four kinds of workstation the texts name.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkstationKind {
    /// 院士专家工作站
    AcademicianExpert,
    /// 博士创新工作站
    DoctoralInnovation,
    /// 科技专家企业工作站
    ExpertEnterprise,
    /// 科技小院
    ScienceBackyard,
}

impl WorkstationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkstationKind::AcademicianExpert => "ACADEMICIAN_EXPERT",
            WorkstationKind::DoctoralInnovation => "DOCTORAL_INNOVATION",
            WorkstationKind::ExpertEnterprise => "EXPERT_ENTERPRISE",
            WorkstationKind::ScienceBackyard => "SCIENCE_BACKYARD",
        }
    }
}

/// Who certified a workstation; provincial certification (省级认证) is a target metric.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificationLevel {
    /// Not certified.
    None,
    /// 市级
    City,
    /// 省级
    Provincial,
    /// 国家级
    National,
}

impl CertificationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificationLevel::None => "NONE",
            CertificationLevel::City => "CITY",
            CertificationLevel::Provincial => "PROVINCIAL",
            CertificationLevel::National => "NATIONAL",
        }
    }
}

/// Whether a workstation is working: ACTIVE ⇄ SUSPENDED, either → CLOSED (final).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkstationStatus {
    Active,
    /// 暂停: not working for now, may resume.
    Suspended,
    /// 撤销: closed for good.
    Closed,
}

impl WorkstationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkstationStatus::Active => "ACTIVE",
            WorkstationStatus::Suspended => "SUSPENDED",
            WorkstationStatus::Closed => "CLOSED",
        }
    }

    pub fn can_become(self, to: WorkstationStatus) -> bool {
        use WorkstationStatus::*;
        matches!(
            (self, to),
            (Active, Suspended) | (Suspended, Active) | (Active, Closed) | (Suspended, Closed)
        )
    }

    /// Checks one step of the workflow.
    pub fn transition(self, to: WorkstationStatus) -> ApiResult<WorkstationStatus> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(ApiError::IllegalTransition {
                entity: "Workstation",
                from: self.as_str().to_string(),
                to: to.as_str().to_string(),
            })
        }
    }
}

/// The year today in China (UTC+8, no daylight saving), for checks such as "an honor is
/// not conferred in the future".
pub fn current_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year()
}

/// The youngest age at which someone is recorded as an S&T worker.
pub const MIN_WORKER_AGE: i32 = 16;

/// Checks a birth year: 1900 or later, and at least [`MIN_WORKER_AGE`] years ago.
pub fn birth_year(field: &str, year: i32) -> ApiResult<i32> {
    let latest = current_year() - MIN_WORKER_AGE;
    if !(1900..=latest).contains(&year) {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!(
                "must be a year between 1900 and {latest}",
                "须为 1900 到 {latest} 之间的年份"
            ),
        ));
    }
    Ok(year)
}

/// A phone number as stored: a mainland mobile number (`13912345678`, an optional `+86`
/// in front is dropped) or a landline with its area code (`0816-2345678`).
pub fn phone(field: &str, value: &str) -> ApiResult<String> {
    let compact: String = value
        .chars()
        .filter(|ch| !matches!(ch, ' ' | '\u{3000}'))
        .collect();
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    let mobile = national.len() == 11
        && digits(national)
        && national.starts_with('1')
        && matches!(national.as_bytes()[1], b'3'..=b'9');
    if mobile {
        return Ok(national.to_string());
    }
    let landline = match national.split_once('-') {
        Some((area, number)) => {
            area.starts_with('0')
                && (3..=4).contains(&area.len())
                && digits(area)
                && (7..=8).contains(&number.len())
                && digits(number)
        }
        None => {
            national.starts_with('0') && (10..=12).contains(&national.len()) && digits(national)
        }
    };
    if landline && !compact.starts_with('+') && !compact.starts_with("0086") {
        return Ok(national.to_string());
    }
    Err(ApiError::validation(
        field,
        kexie_subgraph_kit::text!(
            "must be a mobile number such as 13912345678 or a landline such as 0816-2345678",
            "须为手机号（如 13912345678）或座机号（如 0816-2345678）"
        ),
    ))
}

/// An e-mail address as stored: trimmed, with its domain in lower case. Checks the shape
/// (one `@`, a local part, a dotted domain of letters, digits and hyphens), not whether the
/// mailbox exists.
pub fn email(field: &str, value: &str) -> ApiResult<String> {
    let invalid = || {
        ApiError::validation(
            field,
            kexie_subgraph_kit::text!(
                "is not an e-mail address such as name@example.cn",
                "不是电子邮箱地址（如 name@example.cn）"
            ),
        )
    };
    let value = value.trim();
    if value.len() > 254 {
        return Err(ApiError::validation(
            field,
            kexie_subgraph_kit::text!("must be at most 254 characters", "最多 254 个字符"),
        ));
    }
    let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(ch));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|ch| ch.is_ascii_alphabetic()));
    if !local_ok || !domain_ok {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominations_go_forward_only_and_end_awarded_or_not_selected() {
        use NominationStatus::*;
        assert!(Nominated.can_become(Shortlisted));
        assert!(Nominated.can_become(NotSelected));
        assert!(Shortlisted.can_become(Awarded));
        assert!(Shortlisted.can_become(NotSelected));
        assert!(!Nominated.can_become(Awarded));
        assert!(!Awarded.can_become(NotSelected));
        assert!(!NotSelected.can_become(Shortlisted));
        assert!(!Shortlisted.can_become(Nominated));
        assert!(!Nominated.can_become(Nominated));
    }

    #[test]
    fn workstations_suspend_and_resume_until_closed_for_good() {
        use WorkstationStatus::*;
        assert!(Active.can_become(Suspended));
        assert!(Suspended.can_become(Active));
        assert!(Active.can_become(Closed));
        assert!(Suspended.can_become(Closed));
        assert!(!Closed.can_become(Active));
        assert!(!Closed.can_become(Suspended));
        assert!(!Active.can_become(Active));
    }

    #[test]
    fn mobile_and_landline_numbers_are_accepted_and_normalized() {
        assert_eq!(phone("phone", "139 1234 5678").unwrap(), "13912345678");
        assert_eq!(phone("phone", "+8613912345678").unwrap(), "13912345678");
        assert_eq!(phone("phone", "0816-2345678").unwrap(), "0816-2345678");
        assert_eq!(phone("phone", "028-87654321").unwrap(), "028-87654321");
        assert!(phone("phone", "12912345678").is_err());
        assert!(phone("phone", "1391234567").is_err());
        assert!(phone("phone", "+860816-2345678").is_err());
        assert!(phone("phone", "816-2345678").is_err());
        assert!(phone("phone", "abc").is_err());
        assert!(phone("phone", "").is_err());
    }

    #[test]
    fn e_mail_addresses_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            email("email", " Li.Wei@MYKX.cn ").unwrap(),
            "Li.Wei@mykx.cn"
        );
        assert!(email("email", "liwei").is_err());
        assert!(email("email", "@mykx.cn").is_err());
        assert!(email("email", "li@mykx").is_err());
        assert!(email("email", "li wei@mykx.cn").is_err());
        assert!(email("email", "li@@mykx.cn").is_err());
        assert!(email("email", "li@-mykx.cn").is_err());
        assert!(email("email", "李伟@mykx.cn").is_err());
    }

    #[test]
    fn birth_years_must_be_of_a_grown_up() {
        assert!(birth_year("birthYear", 1899).is_err());
        assert!(birth_year("birthYear", current_year()).is_err());
        assert!(birth_year("birthYear", 1975).is_ok());
    }
}
