package demo

import (
	"math/rand/v2"
	"strings"
)

// story is a kind of incident the demo desk sees: titles and descriptions
// in which {x} becomes one of the places or things in xs, the service it
// is about, and the work notes its agents write.
type story struct {
	titles, descs  []string
	xs             []string
	category, sub  string
	service        string
	notes, answers []string
}

var stories = []story{
	{[]string{"VPN drops every few minutes in {x}", "VPN will not connect from {x}", "VPN very slow when working from {x}"},
		[]string{"Since this morning the VPN client disconnects every 5-10 minutes from {x}. Reconnecting works for a while.",
			"The client stops at \"Authenticating\" and then times out. Working from {x} today."},
		[]string{"the Lyon office", "the Porto office", "home", "a hotel in Munich", "the Hamburg warehouse", "the train"},
		"network", "vpn", "VPN",
		[]string{"Gateway logs show the certificate on vpn-gw-2 expired at 02:00; renewed.", "Split tunnelling profile was missing for this user; re-pushed.", "MTU issue on the hotel network; set the client to TCP mode."},
		[]string{"Connected again and it has held for an hour, thanks.", "Tried again from the same place, still drops."}},
	{[]string{"Cannot print to the {x} printer", "{x} printer prints blank pages", "Paper jam error on the {x} printer that will not clear"},
		[]string{"Jobs to the {x} printer sit in the queue and never print. Other printers work.", "The {x} printer reports an error although the tray looks fine."},
		[]string{"3rd floor", "reception", "finance", "warehouse", "2nd floor east", "HR"},
		"hardware", "printer", "Laptop & desktop support",
		[]string{"Restarted the print spooler on PRN-SRV-01; queue cleared.", "Fuser unit worn out; replacement ordered from the vendor.", "Driver on the print server was updated last night; rolled back."},
		[]string{"Printing again, thank you.", "Still nothing comes out, I checked just now."}},
	{[]string{"Outlook keeps asking for my password on {x}", "Shared calendar not updating on {x}", "E-mails stuck in the outbox on {x}"},
		[]string{"After the password change Outlook on my {x} prompts for credentials again and again.", "Since yesterday nothing changes in Outlook on my {x} until I restart it."},
		[]string{"my laptop", "my phone", "the meeting-room PC", "my tablet", "the shared reception PC"},
		"software", "email", "E-mail",
		[]string{"Stale token in the credential manager; cleared and signed in again.", "Mailbox hit its quota; archived older items.", "Modern authentication was off in the profile; recreated the profile."},
		[]string{"No more prompts since this morning.", "It asked for the password again after lunch."}},
	{[]string{"ERP invoice run fails with a timeout for {x}", "ERP order screen freezes for {x}", "ERP stock figures wrong for {x}"},
		[]string{"The nightly invoice batch for {x} stops with a database timeout after about 40 minutes.", "Opening an order for {x} takes minutes and then the screen freezes."},
		[]string{"Northwind orders", "the Hamburg warehouse", "March credit notes", "export customers", "the Lyon branch"},
		"application", "erp", "ERP",
		[]string{"Lock wait on the invoice table from a report left running; killed the session.", "Missing index after the last update; added it with the vendor's script.", "Batch moved to 01:30 to avoid the backup window."},
		[]string{"Tonight's run finished, invoices are out.", "The screen still freezes for the same orders."}},
	{[]string{"Wi-Fi slow in {x}", "Wi-Fi drops in {x}", "Guest Wi-Fi not reachable in {x}"},
		[]string{"Video calls freeze in {x}; throughput tests show under 2 Mbit/s.", "Laptops lose the network in {x} every few minutes."},
		[]string{"meeting rooms B1-B4", "the canteen", "the 4th floor", "the training room", "the warehouse office"},
		"network", "wifi", "Network",
		[]string{"Access point AP-4-07 on the wrong channel; moved to 36.", "Controller firmware bug; upgraded after hours.", "Too many clients on one access point; added a second one."},
		[]string{"Calls are smooth again.", "Still slow in the afternoons."}},
	{[]string{"Laptop will not boot after the update ({x})", "Laptop overheating and shutting down ({x})", "Broken screen on laptop ({x})"},
		[]string{"Black screen with a blinking cursor after last night's updates. Asset {x}.", "The laptop gets very hot and switches off during calls. Asset {x}."},
		[]string{"LT-0412", "LT-0587", "LT-0733", "LT-0815", "LT-0921", "LT-1044"},
		"hardware", "laptop", "Laptop & desktop support",
		[]string{"Boot loader damaged by the update; repaired from the recovery image.", "Fan clogged; cleaned and replaced the thermal paste.", "Swapped for a loan laptop while the screen is replaced."},
		[]string{"Got the laptop back, all fine.", "It happened again this morning."}},
	{[]string{"Shared drive not mapped for {x}", "Access denied on the shared drive for {x}", "Files missing on the shared drive of {x}"},
		[]string{"The S: drive is missing after login for {x}.", "Opening the shared folders gives access denied for {x} since this morning."},
		[]string{"the finance team", "the HR team", "the sales team", "the warehouse team", "marketing"},
		"infrastructure", "file share", "File shares",
		[]string{"Login script pointed at the old file server; corrected the policy.", "Group membership removed by the clean-up job; restored.", "Restored the folder from last night's backup."},
		[]string{"The drive is back, thank you.", "Some colleagues still cannot see it."}},
	{[]string{"Web shop checkout returns error 502 for {x}", "Web shop search shows no results for {x}", "Product pages slow for {x}"},
		[]string{"Customers report a 502 at the payment step for {x}; about one in five orders fails.", "Searching for {x} in the shop returns nothing although the products are online."},
		[]string{"card payments", "PayPal orders", "garden furniture", "spare parts", "customers in Austria"},
		"application", "web shop", "Website",
		[]string{"Payment provider rotated its certificate; updated the trust store.", "Search index stale after the import; rebuilt it.", "Cache node out of memory; restarted and raised the limit."},
		[]string{"Orders go through again.", "A customer called, still failing for them."}},
	{[]string{"Badge reader at {x} offline", "Badge does not open {x}"},
		[]string{"The reader at {x} shows a red light and does not open the door.", "My badge worked yesterday; today {x} stays closed."},
		[]string{"the main entrance", "the car park gate", "the server room", "the loading bay", "the side entrance"},
		"facilities", "access control", "",
		[]string{"Reader lost its network connection; reseated the cable.", "Badge deactivated by mistake in the access system; re-enabled."},
		[]string{"Door opens again.", "Still red this morning."}},
	{[]string{"Teams calls have no audio in {x}", "Desk phone has no dial tone in {x}", "Call-centre queue drops callers ({x})"},
		[]string{"Joining any call in {x} gives no audio in either direction; chat works.", "The desk phone in {x} shows \"No service\"."},
		[]string{"room 2.14", "the sales office", "the support hotline", "reception", "the board room"},
		"software", "collaboration", "Telephony",
		[]string{"Headset firmware outdated; updated.", "SIP trunk registration expired; re-registered with the carrier.", "Queue overflow rule pointed at a deleted group; fixed."},
		[]string{"Audio works now, thanks.", "Same problem in my next call."}},
	{[]string{"Disk almost full on file server {x}", "Backup failed on file server {x}"},
		[]string{"Monitoring warns at 93% used on volume D: of {x}.", "Last night's backup of {x} ended with errors."},
		[]string{"FS01", "FS02", "FS03", "FS-LYON", "FS-PORTO"},
		"infrastructure", "storage", "File shares",
		[]string{"Removed old installer images and extended the volume by 200 GB.", "Backup agent crashed on a locked file; excluded the temp folder and reran."},
		nil},
	{[]string{"New starter {x} has no account", "Account locked for {x}", "Cannot reset the password for {x}"},
		[]string{"{x} starts Monday and cannot log in; HR submitted the form last week.", "{x} is locked out after the holiday and the self-service reset fails."},
		[]string{"Maria Costa", "Jan Novak", "Lena Vogel", "Ahmed Karim", "Sofia Russo", "Tim Becker"},
		"access", "accounts", "Identity & access",
		[]string{"The HR feed rejected the record for a missing cost centre; created the account by hand.", "Unlocked and reset the MFA registration.", "Self-service reset needs a registered phone; added it with the user on the call."},
		[]string{"I can sign in now, many thanks.", "The new password is not accepted either."}},
	{[]string{"Payslip missing in the self-service portal for {x}", "Wrong tax class on the payslip for {x}", "Payroll portal login fails for {x}"},
		[]string{"This month's payslip for {x} is not in the portal; last month's is.", "The payslip for {x} shows the wrong tax class since the last run."},
		[]string{"the warehouse staff", "part-time staff", "new joiners", "the Lyon branch", "drivers"},
		"application", "payroll", "Payroll",
		[]string{"Publishing job skipped the group after a cost-centre change; republished.", "Tax data import from the authority failed; reimported and recalculated."},
		[]string{"The payslip is there now.", "Still not visible for two colleagues."}},
}

// agentReplies are what an agent of the incident's group writes to the requester.
var agentReplies = []string{
	"Thanks for reporting this. We are looking into it now.",
	"Could you send a screenshot of the error, please?",
	"We have found the cause and are applying a fix.",
	"Please try again now and let us know whether it works.",
}

// fill draws one of a story's titles and descriptions with the same {x}.
func (s story) fill(rng *rand.Rand) (title, desc string) {
	x := s.xs[rng.IntN(len(s.xs))]
	title = strings.ReplaceAll(s.titles[rng.IntN(len(s.titles))], "{x}", x)
	desc = strings.ReplaceAll(s.descs[rng.IntN(len(s.descs))], "{x}", x)
	return strings.ToUpper(title[:1]) + title[1:], desc
}
