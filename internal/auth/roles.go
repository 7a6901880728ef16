// Package auth owns accounts and access: users and their roles, argon2id
// passwords, browser sessions, API tokens, login throttling, and the table
// of which role holds which permission. Every route names one permission;
// Can answers whether a principal holds it.
package auth

import (
	"strconv"

	"steward/internal/audit"
)

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
)

// Declare makes a permission known with the roles that hold it by default
// and a line saying what it allows, and returns it. An area declares its
// own permissions in its package, as package-level variables, so adding an
// area edits no table here:
//
//	var PermRead = auth.Declare("problem:read", "Read problems and known errors", auth.Admin, auth.Agent, auth.Auditor)
//
// Declare runs while packages initialise; a name declared twice, or a
// role that does not exist, stops the program at start.
func Declare(name, about string, roles ...Role) Permission {
	perm := Permission(name)
	if perm == Public || perm == Authenticated || name == "" {
		panic("auth: cannot declare permission " + strconv.Quote(name))
	}
	if _, dup := declared[perm]; dup {
		panic("auth: permission " + name + " declared twice")
	}
	declared[perm] = about
	declaredOrder = append(declaredOrder, perm)
	for _, r := range roles {
		if !r.Valid() {
			panic("auth: permission " + name + " given to unknown role " + string(r))
		}
		if permIndex[r] == nil {
			permIndex[r] = map[Permission]bool{}
		}
		permIndex[r][perm] = true
	}
	return perm
}

var (
	declared      = map[Permission]string{}
	declaredOrder []Permission
	permIndex     = map[Role]map[Permission]bool{}
)

// Declared lists every permission in the order declared, with what it allows.
func Declared() []PermissionInfo {
	out := make([]PermissionInfo, 0, len(declaredOrder))
	for _, p := range declaredOrder {
		var roles []Role
		for _, r := range Roles {
			if permIndex[r][p] {
				roles = append(roles, r)
			}
		}
		out = append(out, PermissionInfo{Name: p, About: declared[p], Roles: roles})
	}
	return out
}

// PermissionInfo is one declared permission and the roles that hold it.
type PermissionInfo struct {
	Name  Permission
	About string
	Roles []Role
}

// The permissions of the organisation, accounts and the platform itself.
// Each area declares its own next to its code (incident.PermRead, ...).
var (
	CustomerRead  = Declare("customer:read", "Read customers", Admin, Agent, Auditor)
	CustomerWrite = Declare("customer:write", "Create and change customers", Admin)
	GroupRead     = Declare("group:read", "Read support groups and their members", Admin, Agent, Auditor)
	GroupWrite    = Declare("group:write", "Create and change support groups", Admin)
	UserRead      = Declare("user:read", "Read user accounts", Admin, Agent, Auditor)
	UserWrite     = Declare("user:write", "Create, change and disable user accounts", Admin)
	TokenOwn      = Declare("token:own", "Hold personal API tokens", Admin, Agent, Requester, Auditor)
	AuditRead     = Declare("audit:read", "Read and verify the audit trail", Admin, Auditor)
	SettingsRead  = Declare("settings:read", "Read settings such as the priority matrix", Admin, Agent, Auditor)
	SettingsWrite = Declare("settings:write", "Change settings", Admin)
	MetricsRead   = Declare("metrics:read", "Read the Prometheus metrics", Admin, Auditor)

	// Service catalogue (8.2.4): everyone signed in reads the part they may
	// see (requesters: live services of their customer); admins edit.
	ServiceRead  = Declare("service:read", "Read the service catalogue", Admin, Agent, Requester, Auditor)
	ServiceWrite = Declare("service:write", "Change the service catalogue", Admin)
	// Service level management (8.3.3): calendars, agreements, definitions.
	SLARead  = Declare("sla:read", "Read agreements, calendars and clocks", Admin, Agent, Auditor)
	SLAWrite = Declare("sla:write", "Change agreements, calendars and definitions", Admin)
	// The SLA report and the activity feed.
	ReportRead   = Declare("report:read", "Read reports", Admin, Agent, Auditor)
	ActivityRead = Declare("activity:read", "Read the activity feed", Admin, Agent, Auditor)
	// In-app notifications addressed to the signed-in user.
	NotificationOwn = Declare("notification:own", "Read one's own notifications", Admin, Agent, Requester, Auditor)
	// Configuration and asset management (8.2.5, 8.2.6): reading CIs,
	// relationships, history, baselines, assets and impact; changing CIs,
	// relationships, assets, baselines and verifications, and importing;
	// defining CI types.
	CIRead      = Declare("ci:read", "Read CIs, relationships, assets, baselines and impact", Admin, Agent, Auditor)
	CIWrite     = Declare("ci:write", "Change and import CIs, relationships and assets", Admin, Agent)
	CITypeWrite = Declare("ci_type:write", "Define CI types", Admin)
	// Saved list filters are personal; sharing one with everyone who may
	// read that kind is this permission.
	FilterShare = Declare("filter:share", "Share saved filters with everyone", Admin, Agent)
	// Background jobs that failed for good: list, retry, discard.
	JobAdmin = Declare("job:admin", "Retry and discard failed background jobs", Admin)
)

// Principal is who is making a request.
type Principal struct {
	UserID     int64
	Email      string
	Name       string
	Role       Role
	CustomerID int64 // requesters: their organisation; 0 when none
	GroupIDs   []int64
	TokenID    int64  // set when authenticated by an API token
	Via        string // "email" when acting through a message the person sent
	CSRFToken  string // set for browser sessions
	// Prefs are how the person reads times, loaded with browser sessions.
	Prefs Preferences
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
	return audit.Actor{Type: "user", ID: p.UserID, Name: p.Email, Via: p.Via}
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
