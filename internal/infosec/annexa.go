package infosec

// CatalogueControl is one control of ISO/IEC 27001:2022 Annex A: its
// number and title (facts), its theme, and a short description of what it
// is about, written for Steward in its own words; the standard's own
// control text is not reproduced.
type CatalogueControl struct {
	Ref   string `json:"ref"` // 5.1 … 8.34; shown as A.5.1
	Theme string `json:"theme"`
	Title string `json:"title"`
	About string `json:"about"`
}

// Themes of Annex A, by the first part of a control's number.
var Themes = map[string]string{"5": "Organisational", "6": "People", "7": "Physical", "8": "Technological"}

func c(ref, title, about string) CatalogueControl {
	return CatalogueControl{Ref: ref, Theme: Themes[ref[:1]], Title: title, About: about}
}

// AnnexA is the catalogue of controls in their order.
var AnnexA = []CatalogueControl{
	c("5.1", "Policies for information security", "Write down how we protect information, get it approved and keep people aware of it."),
	c("5.2", "Information security roles and responsibilities", "Name who is in charge of which security tasks."),
	c("5.3", "Segregation of duties", "Keep tasks apart where one person doing both invites mistakes or misuse."),
	c("5.4", "Management responsibilities", "Managers make sure their people follow the security rules."),
	c("5.5", "Contact with authorities", "Know whom to call at regulators, police and emergency services, and keep in touch."),
	c("5.6", "Contact with special interest groups", "Take part in security forums and professional groups."),
	c("5.7", "Threat intelligence", "Gather and use what is known about threats that concern us."),
	c("5.8", "Information security in project management", "Think about security in every project, from its start."),
	c("5.9", "Inventory of information and other associated assets", "Keep a list of our information and what holds it, with owners."),
	c("5.10", "Acceptable use of information and other associated assets", "Say what people may and may not do with our information and equipment."),
	c("5.11", "Return of assets", "Get equipment and information back when people leave or contracts end."),
	c("5.12", "Classification of information", "Sort information by how much protection it needs."),
	c("5.13", "Labelling of information", "Mark information so people can see its class."),
	c("5.14", "Information transfer", "Protect information when it is sent or handed over, inside and out."),
	c("5.15", "Access control", "Decide who may reach what, based on need."),
	c("5.16", "Identity management", "Manage the full life of user identities."),
	c("5.17", "Authentication information", "Hand out and look after passwords, keys and similar secrets properly."),
	c("5.18", "Access rights", "Grant, review, change and remove access rights in a controlled way."),
	c("5.19", "Information security in supplier relationships", "Handle the security risks that come with suppliers."),
	c("5.20", "Addressing information security within supplier agreements", "Put the security we need from suppliers into their contracts."),
	c("5.21", "Managing information security in the ICT supply chain", "Handle the risks of the hardware, software and services we buy."),
	c("5.22", "Monitoring, review and change management of supplier services", "Watch how suppliers perform on security and manage their changes."),
	c("5.23", "Information security for use of cloud services", "Choose, use and leave cloud services with security in mind."),
	c("5.24", "Information security incident management planning and preparation", "Be ready to handle security incidents: roles, procedures, contacts."),
	c("5.25", "Assessment and decision on information security events", "Judge each security event and decide whether it is an incident."),
	c("5.26", "Response to information security incidents", "Handle security incidents by the agreed procedures."),
	c("5.27", "Learning from information security incidents", "Use what incidents teach to make controls better."),
	c("5.28", "Collection of evidence", "Gather and keep evidence of incidents so it can be relied on."),
	c("5.29", "Information security during disruption", "Keep security in place while services are disrupted."),
	c("5.30", "ICT readiness for business continuity", "Plan, test and keep ICT ready to recover in time."),
	c("5.31", "Legal, statutory, regulatory and contractual requirements", "Know the security obligations of laws, rules and contracts, and meet them."),
	c("5.32", "Intellectual property rights", "Respect licences and others' intellectual property."),
	c("5.33", "Protection of records", "Keep records safe from loss, tampering and unauthorised access."),
	c("5.34", "Privacy and protection of PII", "Protect personal data as laws and contracts require."),
	c("5.35", "Independent review of information security", "Have our security approach reviewed by someone independent, regularly."),
	c("5.36", "Compliance with policies, rules and standards for information security", "Check that our own security rules are followed."),
	c("5.37", "Documented operating procedures", "Write down how systems are operated and keep it available."),
	c("6.1", "Screening", "Check the background of people before they join, in proportion to the role."),
	c("6.2", "Terms and conditions of employment", "Employment contracts state security duties."),
	c("6.3", "Information security awareness, education and training", "Teach people what security needs from them, and keep it current."),
	c("6.4", "Disciplinary process", "Have a fair process for breaches of security rules."),
	c("6.5", "Responsibilities after termination or change of employment", "Duties that continue after someone leaves or changes role are known and enforced."),
	c("6.6", "Confidentiality or non-disclosure agreements", "Use confidentiality agreements that match our needs and review them."),
	c("6.7", "Remote working", "Protect information when people work away from our premises."),
	c("6.8", "Information security event reporting", "Give people a quick way to report what looks wrong."),
	c("7.1", "Physical security perimeters", "Define and protect the boundaries of areas holding information."),
	c("7.2", "Physical entry", "Let only the right people into secure areas."),
	c("7.3", "Securing offices, rooms and facilities", "Design and run offices and rooms with security in mind."),
	c("7.4", "Physical security monitoring", "Watch premises for unauthorised access."),
	c("7.5", "Protecting against physical and environmental threats", "Guard against fire, flood, power loss and similar threats."),
	c("7.6", "Working in secure areas", "Set rules for work inside secure areas."),
	c("7.7", "Clear desk and clear screen", "Leave no papers, media or unlocked screens unattended."),
	c("7.8", "Equipment siting and protection", "Place and protect equipment to reduce risk."),
	c("7.9", "Security of assets off-premises", "Protect equipment and information taken outside."),
	c("7.10", "Storage media", "Handle storage media safely through their whole life."),
	c("7.11", "Supporting utilities", "Protect systems from failures of power, cooling and other utilities."),
	c("7.12", "Cabling security", "Protect power and data cables from damage and interception."),
	c("7.13", "Equipment maintenance", "Maintain equipment so it stays available and secure."),
	c("7.14", "Secure disposal or re-use of equipment", "Wipe or destroy data before equipment is reused or thrown away."),
	c("8.1", "User end point devices", "Protect laptops, phones and other devices people use."),
	c("8.2", "Privileged access rights", "Restrict and watch administrator-level access."),
	c("8.3", "Information access restriction", "Limit access to information by the access rules."),
	c("8.4", "Access to source code", "Control who can read and change source code and tools."),
	c("8.5", "Secure authentication", "Sign people and systems in securely, e.g. with a second factor."),
	c("8.6", "Capacity management", "Watch and plan resources so systems keep up."),
	c("8.7", "Protection against malware", "Defend against malicious software and make people aware."),
	c("8.8", "Management of technical vulnerabilities", "Learn of weaknesses in what we run, judge our exposure and fix it."),
	c("8.9", "Configuration management", "Set, record and check secure configurations."),
	c("8.10", "Information deletion", "Delete information when it is no longer needed."),
	c("8.11", "Data masking", "Hide data, such as personal data, where it need not be seen."),
	c("8.12", "Data leakage prevention", "Stop information leaking out through systems and networks."),
	c("8.13", "Information backup", "Back up information and systems and test restoring them."),
	c("8.14", "Redundancy of information processing facilities", "Build in enough spare capacity to stay available."),
	c("8.15", "Logging", "Record activity and faults, protect the logs and review them."),
	c("8.16", "Monitoring activities", "Watch systems and networks for unusual behaviour and act on it."),
	c("8.17", "Clock synchronization", "Keep system clocks in step with an agreed time source."),
	c("8.18", "Use of privileged utility programs", "Restrict tools that can bypass normal controls."),
	c("8.19", "Installation of software on operational systems", "Control what software gets installed on live systems."),
	c("8.20", "Networks security", "Protect networks and the devices on them."),
	c("8.21", "Security of network services", "Agree and check the security of network services."),
	c("8.22", "Segregation of networks", "Split networks into zones by trust and purpose."),
	c("8.23", "Web filtering", "Limit access to harmful websites."),
	c("8.24", "Use of cryptography", "Use encryption properly and manage its keys."),
	c("8.25", "Secure development life cycle", "Build software and systems securely from design to release."),
	c("8.26", "Application security requirements", "Work out the security an application needs before building or buying it."),
	c("8.27", "Secure system architecture and engineering principles", "Design systems by agreed secure engineering principles."),
	c("8.28", "Secure coding", "Write code following secure coding practice."),
	c("8.29", "Security testing in development and acceptance", "Test security before systems go live."),
	c("8.30", "Outsourced development", "Steer and check development done by others for us."),
	c("8.31", "Separation of development, test and production environments", "Keep development and test apart from production."),
	c("8.32", "Change management", "Make changes to systems through a controlled process."),
	c("8.33", "Test information", "Choose and protect the data used for testing."),
	c("8.34", "Protection of information systems during audit testing", "Plan audit tests so they do not disturb live systems."),
}

// catalogueControl finds a control by its number ("5.1" or "A.5.1").
func catalogueControl(ref string) (CatalogueControl, bool) {
	ref = normRef(ref)
	for _, c := range AnnexA {
		if c.Ref == ref {
			return c, true
		}
	}
	return CatalogueControl{}, false
}
