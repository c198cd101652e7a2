//! Roles, plans and age groups as closed sets parsed from their stored and submitted names.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    // Ordered lowest first so `>=` compares seniority.
    Client,
    Provider,
    Supervisor,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "supervisor" => Some(Self::Supervisor),
            "provider" => Some(Self::Provider),
            "client" => Some(Self::Client),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Supervisor => "supervisor",
            Self::Provider => "provider",
            Self::Client => "client",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Supervisor => "Supervisor",
            Self::Provider => "Provider",
            Self::Client => "Client",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Self::Client
    }

    /// Owners and admins manage staff and see the audit log.
    pub fn is_manager(self) -> bool {
        self >= Self::Admin
    }

    /// The staff roles a form may assign (the owner is made only at sign-up).
    pub fn parse_staff_role(value: &str) -> Option<Self> {
        match Self::parse(value)? {
            role @ (Self::Admin | Self::Supervisor | Self::Provider) => Some(role),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Pro,
    Mobile,
}

impl Plan {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pro" => Some(Self::Pro),
            "mobile" => Some(Self::Mobile),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pro => "pro",
            Self::Mobile => "mobile",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pro => "Pro",
            Self::Mobile => "Standalone Mobile",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeGroup {
    Adult,
    Adolescent,
    Child,
}

impl AgeGroup {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "adult" => Some(Self::Adult),
            "adolescent" => Some(Self::Adolescent),
            "child" => Some(Self::Child),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adult => "adult",
            Self::Adolescent => "adolescent",
            Self::Child => "child",
        }
    }
}
