//! `viewer`: who is signed in, for which unit, in which role, and what they may do — from
//! the access rules every mutation checks (`kexie_subgraph_kit::access`), so that a front
//! end shows exactly the buttons that will work.

use async_graphql::{Context, Enum, Object, ID};

use kexie_contract::principal::{Principal, Role};
use kexie_subgraph_kit::access::{self, Need, Permission};
use kexie_subgraph_kit::bureau::PartnerBureau;
use kexie_subgraph_kit::id::parse_id;
use kexie_subgraph_kit::record::load_by_id;
use kexie_subgraph_kit::ApiResult;

use crate::db::units::UnitRow;

/// The role a request acts in.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum ViewerRole {
    /// 访客: nobody signed in.
    Anonymous,
    /// 工作人员
    UnitStaff,
    /// 单位管理员
    UnitAdmin,
    /// 领导
    Leadership,
    /// 市级管理员
    CityAdmin,
    /// 合作单位: a partner bureau's API key.
    Partner,
}

/// Where the viewer's rights reach.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum ViewerReach {
    /// What the public sees.
    Public,
    /// What the key's scopes name.
    Scopes,
    /// Their unit's subtree (the unit and every unit below it).
    Subtree,
    /// The whole city.
    City,
}

/// What a request may want with a unit, as `Viewer.may` asks it.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum UnitNeed {
    /// Read the unit's figures, targets and its workers' personal data.
    ReadSubtree,
    /// Create or change the records the unit owns.
    Write,
    /// Manage the unit itself, its leaders, terms and the targets below it.
    Administer,
}

impl From<UnitNeed> for Need {
    fn from(need: UnitNeed) -> Need {
        match need {
            UnitNeed::ReadSubtree => Need::ReadSubtree,
            UnitNeed::Write => Need::Write,
            UnitNeed::Administer => Need::Administer,
        }
    }
}

/// The signed-in principal, as a front end reads it.
pub struct Viewer(Principal);

#[Object]
impl Viewer {
    /// The staff member's ID at the identity provider, `partner:<key>` for a key, or
    /// `anonymous`.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn role(&self) -> ViewerRole {
        match self.0.role {
            Role::UnitStaff => ViewerRole::UnitStaff,
            Role::UnitAdmin => ViewerRole::UnitAdmin,
            Role::Leadership => ViewerRole::Leadership,
            Role::CityAdmin => ViewerRole::CityAdmin,
            Role::Partner => ViewerRole::Partner,
            Role::Anonymous | Role::Gateway => ViewerRole::Anonymous,
        }
    }
    /// The unit the staff member works for; null for the public and partner keys.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<UnitRow>> {
        match self.0.unit {
            Some(unit) => load_by_id(ctx, unit).await,
            None => Ok(None),
        }
    }
    /// Where the viewer's rights reach: the city for city admins, their unit's subtree for
    /// other staff.
    async fn reach(&self) -> ViewerReach {
        match self.0.role {
            Role::CityAdmin => ViewerReach::City,
            Role::UnitStaff | Role::UnitAdmin | Role::Leadership => ViewerReach::Subtree,
            Role::Partner => ViewerReach::Scopes,
            Role::Anonymous | Role::Gateway => ViewerReach::Public,
        }
    }
    /// The bureau a partner key speaks for.
    async fn bureau(&self) -> Option<PartnerBureau> {
        self.0.bureau.as_deref().and_then(PartnerBureau::parse)
    }
    /// A partner key's scopes (`innovation:read` …); empty for everyone else.
    async fn scopes(&self) -> Vec<String> {
        self.0
            .scopes
            .iter()
            .map(|scope| scope.as_str().to_string())
            .collect()
    }
    /// Everything the viewer may do on their reach, in the order of `Permission`.
    async fn permissions(&self) -> Vec<Permission> {
        access::permissions(&self.0)
    }
    /// Whether the viewer may do `need` with the unit `unitId` — the check the mutations
    /// make. False for a unit there is none of.
    async fn may(&self, ctx: &Context<'_>, need: UnitNeed, unit_id: ID) -> ApiResult<bool> {
        let unit_id = parse_id("unitId", &unit_id)?;
        let unit: Option<UnitRow> = load_by_id(ctx, unit_id).await?;
        Ok(unit.is_some_and(|unit| access::allows(&self.0, need.into(), &unit.path)))
    }
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is signed in and what they may do; for the public too (role ANONYMOUS).
    async fn viewer(&self, ctx: &Context<'_>) -> Viewer {
        Viewer(access::principal(ctx))
    }
}
