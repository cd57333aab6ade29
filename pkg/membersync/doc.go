// Package membersync keeps a tool's course in step with the consumer's
// roster, through the LTI 1.1 memberships extension
// (ext_ims_lis_memberships_url, basic-lis-readmembershipsforcontext): it
// reads the roster with a signed request through netguard, creates and
// enrols new members as a launch would (pkg/provision), and unenrols
// members who left — only users this service brought into the course from
// that consumer, never local teachers or students — following the tool's
// syncmode and syncperiod.
//
// Syncer.Run is one run over the tools that are due; pkg/jobs schedules it
// and cmd/ltiprovider runs it by hand or for the administration pages. It
// writes Moodle's tables only through pkg/moodle and pkg/provision.
package membersync
