/* keycabd's requests: one table (request.c, read from controller/ops.def)
 * from an op to who may send it, its arguments and the function that
 * answers it. Adding a request is a KC_OP line in ops.def and a handler
 * declared here. */
#ifndef KC_CTL_REQUEST_H
#define KC_CTL_REQUEST_H
#include <jansson.h>

#include "controller/ctl.h"

typedef json_t *kc_request_fn(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);

/* One request in, one reply out: looks the op up, checks the session,
 * the access and the arguments (opcheck.c), calls the handler. */
json_t *kc_request_handle(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);

/* desk.c: the decisions at the desk */
kc_request_fn kc_desk_release, kc_desk_collect, kc_desk_approve, kc_desk_id_release,
	kc_desk_inspect, kc_desk_handover_start, kc_desk_handover_confirm,
	kc_desk_handover_review, kc_desk_alarm_clear;

/* reseat.c: a key in a wrong slot moved home (rule 9) */
kc_request_fn kc_desk_reseat;

/* reads.c: status and the lists (the op names the list), whoami, ping,
 * the test clock */
kc_request_fn kc_reads_ping, kc_reads_whoami, kc_reads_status, kc_reads_slots, kc_reads_list,
	kc_reads_test_clock;
/* The status reply's forward object (the audit link); null when offline
 * by configuration. */
json_t *kc_reads_forward(struct kc_ctl *ctl);

/* subscribe.c: live state for terminals */
kc_request_fn kc_subscribe_request, kc_subscribe_roster;

/* registry.c: imports and admin commands */
kc_request_fn kc_registry_import, kc_registry_person_add, kc_registry_entrust, kc_registry_letter_file,
	kc_registry_letter_confirm, kc_registry_vacancy;

/* intake.c: taking keys in */
kc_request_fn kc_intake_open, kc_intake_enrol, kc_intake_extend, kc_intake_end;

/* outbox_ops.c: keycab-forward's outbox.read, outbox.ack, forward.report */
kc_request_fn kc_outbox_ops_read, kc_outbox_ops_ack, kc_outbox_ops_report;

/* estate.c, estate_people.c: the office's changes (keycab-forward's
 * estate.position, estate.apply), a site's settings, the terminal's
 * enrolment with a code the office issued */
kc_request_fn kc_estate_position, kc_estate_apply, kc_estate_settings, kc_estate_enrol;

/* estate_approval.c: a manager's approval asked for from the office */
kc_request_fn kc_approval_ask, kc_approval_cancel;

#endif
