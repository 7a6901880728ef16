// Package auth owns accounts and access: users and their roles, argon2id
// passwords, browser sessions, API tokens, login throttling, and the table
// of which role holds which permission. Every route names one permission;
// Can answers whether a principal holds it.
package auth

import "steward/internal/audit"

// Role is one of the four fixed roles.
type Role string

const (
	Admin     Role = "admin"
	Agent     Role = "agent"
	Requester Role = "requester"
	Auditor   Role = "auditor"
)

// Roles lists every role, for validation and forms.
var Roles = []Role{Admin, Agent, Requester, Auditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Permission is what a route requires.
type Permission string

const (
	// Public marks the few routes anyone may call (health, login page).
	Public Permission = "public"
	// Authenticated is any signed-in user, whatever the role.
	Authenticated Permission = "authenticated"

	IncidentRead     Permission = "incident:read"
	IncidentCreate   Permission = "incident:create"
	IncidentUpdate   Permission = "incident:update"
	IncidentComment  Permission = "incident:comment"
	IncidentWorkNote Permission = "incident:work_note"
	CustomerRead     Permission = "customer:read"
	CustomerWrite    Permission = "customer:write"
	GroupRead        Permission = "group:read"
	GroupWrite       Permission = "group:write"
	UserRead         Permission = "user:read"
	UserWrite        Permission = "user:write"
	TokenOwn         Permission = "token:own"
	AuditRead        Permission = "audit:read"
	SettingsRead     Permission = "settings:read"
	SettingsWrite    Permission = "settings:write"
	MetricsRead      Permission = "metrics:read"

	// Service catalogue (8.2.4): everyone signed in reads the part they may
	// see (requesters: live services of their customer); admins edit.
	ServiceRead  Permission = "service:read"
	ServiceWrite Permission = "service:write"
	// The request catalogue: what can be requested from each service,
	// with its forms (the service catalogue is service:read/write).
	RequestCatalogRead  Permission = "request_catalog:read"
	RequestCatalogWrite Permission = "request_catalog:write"
	// Service requests (8.6.2).
	RequestRead     Permission = "request:read"
	RequestCreate   Permission = "request:create"
	RequestUpdate   Permission = "request:update"
	RequestComment  Permission = "request:comment"
	RequestWorkNote Permission = "request:work_note"
	// RequestApprove lets a user decide approvals; whether this user is an
	// approver of a given request is checked on the request itself.
	RequestApprove Permission = "request:approve"
	// Service level management (8.3.3): calendars, agreements, definitions.
	SLARead  Permission = "sla:read"
	SLAWrite Permission = "sla:write"
	// The SLA report and the activity feed.
	ReportRead   Permission = "report:read"
	ActivityRead Permission = "activity:read"
	// In-app notifications addressed to the signed-in user.
	NotificationOwn Permission = "notification:own"
	// Configuration and asset management (8.2.5, 8.2.6): reading CIs,
	// relationships, history, baselines, assets and impact; changing CIs,
	// relationships, assets, baselines and verifications, and importing;
	// defining CI types.
	CIRead      Permission = "ci:read"
	CIWrite     Permission = "ci:write"
	CITypeWrite Permission = "ci_type:write"
	// Saved list filters are personal; sharing one with everyone who may
	// read that kind is this permission.
	FilterShare Permission = "filter:share"
	// Background jobs that failed for good: list, retry, discard.
	JobAdmin Permission = "job:admin"
)

var rolePermissions = map[Role][]Permission{
	Admin: {IncidentRead, IncidentCreate, IncidentUpdate, IncidentComment, IncidentWorkNote,
		CustomerRead, CustomerWrite, GroupRead, GroupWrite, UserRead, UserWrite, TokenOwn,
		AuditRead, SettingsRead, SettingsWrite, MetricsRead,
		ServiceRead, ServiceWrite, RequestCatalogRead, RequestCatalogWrite,
		RequestRead, RequestCreate, RequestUpdate, RequestComment, RequestWorkNote, RequestApprove,
		SLARead, SLAWrite, ReportRead, ActivityRead, NotificationOwn,
		CIRead, CIWrite, CITypeWrite, FilterShare, JobAdmin},
	Agent: {IncidentRead, IncidentCreate, IncidentUpdate, IncidentComment, IncidentWorkNote,
		CustomerRead, GroupRead, UserRead, TokenOwn, SettingsRead,
		ServiceRead, RequestCatalogRead,
		RequestRead, RequestCreate, RequestUpdate, RequestComment, RequestWorkNote, RequestApprove,
		SLARead, ReportRead, ActivityRead, NotificationOwn,
		CIRead, CIWrite, FilterShare},
	Requester: {IncidentRead, IncidentCreate, IncidentComment, TokenOwn,
		ServiceRead, RequestCatalogRead, RequestRead, RequestCreate, RequestComment, RequestApprove,
		NotificationOwn},
	Auditor: {IncidentRead, CustomerRead, GroupRead, UserRead, AuditRead, SettingsRead,
		MetricsRead, TokenOwn,
		ServiceRead, RequestCatalogRead, RequestRead, SLARead, ReportRead, ActivityRead, NotificationOwn,
		CIRead},
}

var permIndex = func() map[Role]map[Permission]bool {
	m := map[Role]map[Permission]bool{}
	for r, ps := range rolePermissions {
		m[r] = map[Permission]bool{}
		for _, p := range ps {
			m[r][p] = true
		}
	}
	return m
}()

// Principal is who is making a request.
type Principal struct {
	UserID     int64
	Email      string
	Name       string
	Role       Role
	CustomerID int64 // requesters: their organisation; 0 when none
	GroupIDs   []int64
	TokenID    int64  // set when authenticated by an API token
	CSRFToken  string // set for browser sessions
}

// Can reports whether p holds perm. A nil principal holds only Public.
func (p *Principal) Can(perm Permission) bool {
	if perm == Public {
		return true
	}
	if p == nil {
		return false
	}
	if perm == Authenticated {
		return true
	}
	return permIndex[p.Role][perm]
}

// IsStaff is true for roles that work tickets or read everything.
func (p *Principal) IsStaff() bool {
	return p != nil && p.Role != Requester
}

// Actor is the principal as the audit trail names it.
func (p *Principal) Actor() audit.Actor {
	if p == nil {
		return audit.System
	}
	if p.TokenID != 0 {
		return audit.Actor{Type: "token", ID: p.UserID, Name: p.Email}
	}
	return audit.Actor{Type: "user", ID: p.UserID, Name: p.Email}
}

// InGroup reports whether the principal belongs to group id.
func (p *Principal) InGroup(id int64) bool {
	for _, g := range p.GroupIDs {
		if g == id {
			return true
		}
	}
	return false
}
