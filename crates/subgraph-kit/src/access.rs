//! Who may do what: the one place every subgraph asks before it reads what is not public or
//! changes anything.
//!
//! The principal comes verified from the gateway (see [`kexie_contract::principal`]); the server puts
//! it into every request's data. Units form a tree, and a staff member's reach is their
//! unit's subtree (their unit and every unit below it), found from the unit's materialized
//! `path` (`/<root>/…/<id>/`).
//!
//! | role          | reads (beyond the public)                          | writes                                   |
//! |---------------|----------------------------------------------------|------------------------------------------|
//! | `anonymous`   | nothing                                            | nothing                                  |
//! | `unit_staff`  | all staff data; subtree-only data in its subtree   | records owned by units of its subtree    |
//! | `unit_admin`  | as unit staff                                      | as unit staff, and the units, leaders, terms and targets of its subtree |
//! | `leadership`  | as unit staff                                      | nothing                                  |
//! | `city_admin`  | everything                                         | everything                               |
//! | `partner`     | what its key's scopes name                         | what its key's scopes name               |
//!
//! *Subtree-only data* ([`Need::ReadSubtree`]) is the rollups and targets of a unit and the
//! personal data of workers (birth year, contact details). *The public* sees the unit
//! directory, open venues, held activities and the names of honorees.

use async_graphql::Context;
use kexie_contract::language::Language;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use kexie_contract::principal::{Principal, Role, Scope};

/// What a request wants to do with a unit's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Read what only the unit's own subtree may see: its rollups and targets, its workers'
    /// personal data.
    ReadSubtree,
    /// Create or change records the unit owns (workers, venues, activities, submissions …).
    Write,
    /// Manage the unit itself: create units under it, change, move, merge or archive it,
    /// appoint its leaders, open its terms, set its targets.
    Administer,
}

impl Need {
    /// What the need lets one do, in the request's language.
    fn describe(self) -> &'static str {
        let language = Language::current();
        match self {
            Need::ReadSubtree => {
                language.pick("read the subtree-only data of", "查看仅限本级及下级的数据")
            }
            Need::Write => language.pick("change the records of", "修改记录"),
            Need::Administer => language.pick("administer", "进行管理"),
        }
    }
}

/// The principal of the request being resolved; anonymous when the request carries none
/// (which only happens for a schema executed without the server, as in unit tests).
pub fn principal(ctx: &Context<'_>) -> Principal {
    ctx.data_opt::<Principal>()
        .cloned()
        .unwrap_or_else(Principal::anonymous)
}

/// Whether `principal` works in the subtree of the unit whose path is `unit_path`.
pub fn covers(principal: &Principal, unit_path: &str) -> bool {
    principal
        .unit
        .is_some_and(|unit| unit_path.contains(&format!("/{unit}/")))
}

/// Whether `principal` may do `need` with the unit at `unit_path`.
pub fn allows(principal: &Principal, need: Need, unit_path: &str) -> bool {
    match principal.role {
        Role::CityAdmin => true,
        Role::Anonymous | Role::Partner | Role::Gateway => false,
        Role::Leadership => need == Need::ReadSubtree && covers(principal, unit_path),
        Role::UnitStaff => need != Need::Administer && covers(principal, unit_path),
        Role::UnitAdmin => covers(principal, unit_path),
    }
}

/// What a principal may do, as a front end asks to show or hide its buttons: the roles'
/// rights on the subtree of their own unit (from [`allows`], as every mutation checks
/// them), and a partner key's scopes.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    /// 查看工作数据: staff data beyond the public (every record list, histories).
    ReadStaffData,
    /// 查看本级及下级统计: figures, targets and workers' personal data of the subtree.
    ReadSubtree,
    /// 录入和修改: create and change the records of the subtree's units.
    WriteRecords,
    /// 组织管理: manage the subtree's units, leaders, terms and the targets below.
    AdministerUnits,
    /// 接口密钥管理: partner API keys and the log of partner calls.
    ManageApiKeys,
    /// `venues-activities:read`
    ReadVenuesAndActivities,
    /// `activities:co-organize`
    CoOrganizeActivities,
    /// `talent:read-public`
    ReadPublicTalent,
    /// `advice:submit`
    SubmitAdvice,
    /// `innovation:read`
    ReadInnovation,
    /// `innovation-events:co-organize`
    CoOrganizeInnovationEvents,
}

/// Everything `principal` may do, in the order of [`Permission`]: for staff, what
/// [`allows`] grants on their own unit's subtree; for a partner, its key's scopes.
pub fn permissions(principal: &Principal) -> Vec<Permission> {
    let own_subtree = principal.unit.map(|unit| format!("/{unit}/"));
    let on_own = |need: Need| {
        principal.role == Role::CityAdmin
            || own_subtree
                .as_deref()
                .is_some_and(|path| allows(principal, need, path))
    };
    let mut granted = Vec::new();
    if is_staff(principal) {
        granted.push(Permission::ReadStaffData);
    }
    for (need, permission) in [
        (Need::ReadSubtree, Permission::ReadSubtree),
        (Need::Write, Permission::WriteRecords),
        (Need::Administer, Permission::AdministerUnits),
    ] {
        if on_own(need) {
            granted.push(permission);
        }
    }
    if principal.role == Role::CityAdmin {
        granted.push(Permission::ManageApiKeys);
    }
    for (scope, permission) in [
        (
            Scope::ReadVenuesAndActivities,
            Permission::ReadVenuesAndActivities,
        ),
        (
            Scope::CoOrganizeActivities,
            Permission::CoOrganizeActivities,
        ),
        (Scope::ReadPublicTalent, Permission::ReadPublicTalent),
        (Scope::SubmitAdvice, Permission::SubmitAdvice),
        (Scope::ReadInnovation, Permission::ReadInnovation),
        (
            Scope::CoOrganizeInnovationEvents,
            Permission::CoOrganizeInnovationEvents,
        ),
    ] {
        if principal.has_scope(scope) {
            granted.push(permission);
        }
    }
    granted
}

/// Whether `principal` is staff of some unit (any staff role): it reads everything that is
/// neither public nor subtree-only.
pub fn is_staff(principal: &Principal) -> bool {
    matches!(
        principal.role,
        Role::UnitStaff | Role::UnitAdmin | Role::Leadership | Role::CityAdmin
    )
}

/// Refuses unless the request's principal may do `need` with the unit `unit` at
/// `unit_path` (`None`: the unit is not known, which only a city admin gets past, to meet
/// the mutation's own `NOT_FOUND`).
pub fn require(
    ctx: &Context<'_>,
    need: Need,
    unit: Uuid,
    unit_path: Option<&str>,
) -> ApiResult<()> {
    let principal = principal(ctx);
    let allowed = match unit_path {
        Some(path) => allows(&principal, need, path),
        None => principal.role == Role::CityAdmin,
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden(&principal, need, unit))
    }
}

/// Refuses unless the request comes from staff (any staff role).
pub fn require_staff(ctx: &Context<'_>, what: &str) -> ApiResult<()> {
    let principal = principal(ctx);
    if is_staff(&principal) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(crate::text!(
            "{what} is visible to staff only; {} may not read it",
            "{what}仅对工作人员可见；{}无权查看",
            describe(&principal)
        )))
    }
}

/// Refuses unless the request comes from staff or from a partner whose key has `scope`.
pub fn require_staff_or_scope(ctx: &Context<'_>, scope: Scope, what: &str) -> ApiResult<()> {
    let principal = principal(ctx);
    if is_staff(&principal) || principal.has_scope(scope) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(crate::text!("{what} is visible to staff and to partner keys with the scope `{scope}`; {} may not read it", "{what}仅对工作人员和具有 `{scope}` 权限的合作部门密钥可见；{}无权查看",
            describe(&principal)
        )))
    }
}

/// The `FORBIDDEN` error for `principal` wanting `need` on `unit`.
pub fn forbidden(principal: &Principal, need: Need, unit: Uuid) -> ApiError {
    let (who, what) = (describe(principal), need.describe());
    ApiError::Forbidden(crate::text!(
        "{who} may not {what} unit {unit}",
        "{who}无权对组织 {unit}{what}"
    ))
}

/// Who the principal is, for error messages in the request's language: `unit_staff of unit
/// …`, `anonymous callers`; 组织 … 的工作人员.
pub fn describe(principal: &Principal) -> String {
    let scopes = principal
        .scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let role = principal.role;
    let subject = &principal.subject;
    if Language::current() == Language::Chinese {
        let name = role.as_str().to_ascii_uppercase();
        let label = crate::labels::value_label("ViewerRole", &name);
        return match (role, principal.unit) {
            (Role::Anonymous, _) => "未登录的访客（请先登录）".to_string(),
            (Role::Partner, _) => format!("合作单位密钥 {subject}（权限：{scopes}）"),
            (_, Some(unit)) => format!("组织 {unit} 的{label}"),
            (_, None) => label.to_string(),
        };
    }
    match (role, principal.unit) {
        (Role::Anonymous, _) => "anonymous callers (sign in)".to_string(),
        (Role::Partner, _) => format!("the partner key {subject} (scopes: {scopes})"),
        (role, Some(unit)) => format!("{role} of unit {unit}"),
        (role, None) => role.to_string(),
    }
}

/// The path of a unit in the replicated unit tree (talent, popularization, advice), if the
/// replica knows it.
pub async fn replica_path(conn: &mut PgConnection, unit: Uuid) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query_scalar("select path from unit_replica where unit_id = $1")
            .bind(unit)
            .fetch_optional(conn)
            .await?,
    )
}

/// [`require`] for a unit of the replicated unit tree.
pub async fn require_in_replica(
    ctx: &Context<'_>,
    conn: &mut PgConnection,
    need: Need,
    unit: Uuid,
) -> ApiResult<()> {
    let principal = principal(ctx);
    if principal.role == Role::CityAdmin {
        return Ok(());
    }
    if matches!(
        principal.role,
        Role::Anonymous | Role::Partner | Role::Gateway
    ) {
        return Err(forbidden(&principal, need, unit));
    }
    let path = replica_path(conn, unit).await?;
    require(ctx, need, unit, path.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(units: &[Uuid]) -> String {
        let mut path = "/".to_string();
        for unit in units {
            path.push_str(&format!("{unit}/"));
        }
        path
    }

    #[test]
    fn reach_is_the_subtree_of_the_principal_unit() {
        let (city, district, other, township) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let township_path = path(&[city, district, township]);
        let other_path = path(&[city, other]);
        let staff = Principal::issue("a", Some(district), Role::UnitStaff);
        assert!(allows(&staff, Need::Write, &township_path));
        assert!(allows(&staff, Need::ReadSubtree, &township_path));
        assert!(!allows(&staff, Need::Administer, &township_path));
        assert!(!allows(&staff, Need::Write, &other_path));
        assert!(!allows(&staff, Need::Write, &path(&[city])));

        let admin = Principal::issue("b", Some(district), Role::UnitAdmin);
        assert!(allows(&admin, Need::Administer, &township_path));
        assert!(!allows(&admin, Need::Administer, &other_path));

        let leadership = Principal::issue("c", Some(city), Role::Leadership);
        assert!(allows(&leadership, Need::ReadSubtree, &township_path));
        assert!(!allows(&leadership, Need::Write, &township_path));

        let city_admin = Principal::issue("d", Some(city), Role::CityAdmin);
        assert!(allows(&city_admin, Need::Administer, &other_path));
        assert!(!allows(
            &Principal::anonymous(),
            Need::ReadSubtree,
            &other_path
        ));
        let partner = Principal::partner(Uuid::now_v7(), "EDUCATION", Scope::ALL.to_vec());
        assert!(!allows(&partner, Need::Write, &other_path));
    }

    #[test]
    fn permissions_follow_the_roles_and_the_scopes() {
        use Permission::*;
        let unit = Some(Uuid::now_v7());
        let of = |role| permissions(&Principal::issue("x", unit, role));
        assert_eq!(
            of(Role::UnitStaff),
            vec![ReadStaffData, ReadSubtree, WriteRecords]
        );
        assert_eq!(
            of(Role::UnitAdmin),
            vec![ReadStaffData, ReadSubtree, WriteRecords, AdministerUnits]
        );
        assert_eq!(of(Role::Leadership), vec![ReadStaffData, ReadSubtree]);
        assert_eq!(
            of(Role::CityAdmin),
            vec![
                ReadStaffData,
                ReadSubtree,
                WriteRecords,
                AdministerUnits,
                ManageApiKeys
            ]
        );
        assert!(permissions(&Principal::anonymous()).is_empty());
        let partner = Principal::partner(
            Uuid::now_v7(),
            "SCIENCE_TECHNOLOGY",
            vec![Scope::ReadInnovation, Scope::CoOrganizeInnovationEvents],
        );
        assert_eq!(
            permissions(&partner),
            vec![ReadInnovation, CoOrganizeInnovationEvents]
        );
    }
}
