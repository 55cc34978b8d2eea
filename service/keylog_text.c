/* The key log in words (service/keylog_text.h). */
#include "service/keylog_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/mask.h"
#include "service/templates.h"

/* Each type: its name, and its sentence with {placeholders} of the
 * fields sentence_fields() gives. In the order a supervisor picks them. */
static const struct {
	const char *type, *zh, *sentence;
} types[] = {
	{ "release.granted", "取出钥匙", "{actor} 为 {person} 取出 {unit} 的{kind}钥匙（{purpose}）" },
	{ "release.refused", "拒绝取出", "{actor} 为 {person} 取 {unit} 的{kind}钥匙被拒绝：{reason}" },
	{ "release.taken", "钥匙取走", "{unit} 的钥匙 {key} 已从钥匙位 {slot} 取走" },
	{ "release.not_taken", "钥匙未取走", "{unit} 的钥匙 {key} 未被取走，钥匙位 {slot} 已重新上锁" },
	{ "loan.returned", "归还钥匙", "{person} 归还 {unit} 的{kind}钥匙（{purpose}）{late}" },
	{ "loan.overdue", "逾期未还", "{person} 借用的 {unit} {kind}钥匙逾期未还（{purpose}）" },
	{ "inspection.recorded", "巡检记录", "{actor} 记录 {person} 对 {unit} 的巡检：{result}" },
	{ "id.held", "留存证件", "{actor} 留存 {person} 的{id_type}（{id_masked}）" },
	{ "id.released", "退还证件", "{actor} 退还 {person} 的{id_type}（{id_masked}）" },
	{ "id.release_refused", "拒绝退证", "{actor} 退还 {person} 的证件被拒绝：{reason}" },
	{ "collection.completed", "业主领回", "{actor} 将 {unit} 的托管钥匙交还业主 {person}" },
	{ "entrustment.registered", "登记托管", "{actor} 登记业主 {owner}（{owner_phone}）托管 {unit} 的钥匙" },
	{ "entrustment.closed", "结束托管", "{actor} 结束 {unit} 的钥匙托管（{close_reason}）" },
	{ "letter.filed", "登记授权书", "{actor} 登记 {person} 借用 {unit} 钥匙的业主授权书" },
	{ "letter.confirmed", "确认授权书", "{actor} 与业主确认 {unit} 钥匙的授权书（{channel}）" },
	{ "approval.issued", "经理批准", "{actor} 批准取用 {unit} 的钥匙 {key}" },
	{ "approval.used", "使用批准", "{actor} 的批准用于取出 {unit} 的钥匙 {key}" },
	{ "notice.due", "到期通知", "向业主 {person} 发出 {unit} 钥匙托管{stage}通知" },
	{ "alarm.raised", "报警", "{unit} 的钥匙 {key} 报警：{alarm}" },
	{ "alarm.cleared", "解除报警", "{actor} 解除 {unit} 的报警：{alarm}" },
	{ "handover.started", "发起交班", "{actor} 发起交班（第 {handover} 号交接单）" },
	{ "handover.confirmed", "确认接班", "{actor} 确认接班（第 {handover} 号交接单）" },
	{ "handover.reviewed", "审阅交接", "{actor} 审阅签字第 {handover} 号交接单" },
	{ "operator.login", "登录", "{actor} 在钥匙柜登录（{method}）" },
	{ "operator.login_failed", "登录失败", "{person} 登录失败（{method}）：{reason}" },
	{ "key.reseated", "钥匙移回原位", "{actor} 打开钥匙位 {slot}，将 {unit} 的钥匙 {key} 移回原位" },
	{ "slot.inserted", "钥匙放入", "{unit} 的钥匙 {key} 放入钥匙位 {slot}" },
	{ "slot.removed", "钥匙离位", "{unit} 的钥匙 {key} 离开钥匙位 {slot}" },
	{ "slot.fault", "钥匙位故障", "钥匙位 {slot} 故障" },
	{ "slot.recovered", "钥匙位恢复", "钥匙位 {slot} 恢复正常" },
	{ "site.registered", "登记项目", "登记项目 {site}" },
	{ "unit.registered", "登记房屋", "登记房屋 {unit}（{vacant}）" },
	{ "unit.vacancy", "空置变更", "{unit} {vacancy}" },
	{ "key.registered", "登记钥匙", "登记 {unit} 的{kind}钥匙 {key}（钥匙位 {slot}）" },
	{ "person.registered", "登记人员", "登记{role} {person}" },
	{ "controller.started", "钥匙柜启动", "钥匙柜启动" },
	{ "controller.stopping", "钥匙柜停止", "钥匙柜停止运行" },
	{ "office.handover_reviewed", "办公室审阅交接", "{actor} 在办公室审阅签字 {cabinet} 第 {handover} 号交接单" },
	{ "office.problem_forwarded", "问题转呈", "{actor} 将 {unit} 的巡检问题转呈{department} {to}" },
	{ "office.problem_resolved", "问题已解决", "{actor} 记录 {unit} 的巡检问题已解决：{note}" },
	{ "office.account_created", "创建账号", "{actor} 创建{role}账号 {account}（项目：{sites}）" },
	{ "office.account_disabled", "停用账号", "{actor} 停用账号 {account}" },
	{ "office.account_enabled", "启用账号", "{actor} 启用账号 {account}" },
	{ "office.account_role_changed", "更改角色", "{actor} 将账号 {account} 的角色改为{role}" },
	{ "office.account_sites_changed", "更改项目范围", "{actor} 将账号 {account} 的项目范围改为：{sites}" },
	{ "office.password_reset_issued", "签发密码重置", "{actor} 为账号 {account} 签发一次性密码重置链接" },
	{ "office.password_reset_used", "重置密码", "{account} 用一次性链接设置了新密码" },
	{ "office.account_unlocked", "解锁账号", "{actor} 解锁账号 {account}" },
};

const char *kc_keylog_type_at(size_t i)
{
	return i < KC_ARRAY_SIZE(types) ? types[i].type : NULL;
}

/* Words the catalogue's vocabulary does not hold. */
static const struct {
	const char *ctx, *word, *zh;
} words[] = {
	{ "purpose", "owner_collect", "业主领回" }, { "role", "owner", "业主" },
	{ "channel", "phone", "电话" },		   { "channel", "in_person", "当面" },
	{ "channel", "wechat", "微信" },	   { "channel", "sms", "短信" },
	{ "method", "pin", "密码" },		   { "method", "card", "刷卡" },
	{ "stage", "before_end", "即将到期" },	   { "stage", "end", "到期" },
	{ "stage", "reminder", "到期提醒" },	   { "close", "collected", "业主已领回" },
	{ "close", "cancelled", "已取消" },	   { "alarm", "tamper", "钥匙被非法取出" },
	{ "alarm", "wrong_slot", "钥匙放错钥匙位" }, { "alarm", "overdue", "钥匙逾期未还" },
	{ "alarm", "fault", "钥匙位故障" },	   { "alarm", "audit_link", "审计服务拒收记录" },
	{ "id_type", "id_card", "居民身份证" },	   { "reason", "wrong PIN", "密码错误" },
	{ "reason", "unknown card", "未登记的卡" }, { "reason", "too many failed logins", "失败次数过多，暂时锁定" },
	{ "reason", "not_taken", "钥匙未被取走" },
};

const char *kc_keylog_type_zh(const char *type)
{
	for (size_t i = 0; type && i < KC_ARRAY_SIZE(types); i++)
		if (strcmp(types[i].type, type) == 0)
			return types[i].zh;
	return type;
}

const char *kc_keylog_word(const char *ctx, const char *word)
{
	if (!word)
		return NULL;
	for (size_t i = 0; i < KC_ARRAY_SIZE(words); i++)
		if (strcmp(words[i].ctx, ctx) == 0 && strcmp(words[i].word, word) == 0)
			return words[i].zh;
	return kc_msg_word(KC_LANG_ZH, ctx, word);
}

/* Matches s against the English template t: 1 with the placeholders'
 * texts set in params and *rest where the match ends (the end of s, or a
 * space before the next message). A {=hint} fragment may be there or not. */
static int match(const char *t, const char *s, json_t *params, const char **rest)
{
	const char *close;

	while (*t && *t != '{') {
		if (*t++ != *s++)
			return 0;
	}
	if (!*t) {
		*rest = s;
		return *s == '\0' || *s == ' ';
	}
	close = strchr(t, '}');
	if (!close)
		return 0;
	if (t[1] == '=') {
		size_t n = (size_t)(close - t - 2);

		if (strncmp(s, t + 2, n) == 0 && match(close + 1, s + n, params, rest))
			return 1;
		return match(close + 1, s, params, rest);
	}
	for (size_t n = 0;; n++) {
		if (match(close + 1, s + n, params, rest)) {
			char name[48];

			snprintf(name, sizeof(name), "%.*s", (int)(close - t - 1), t + 1);
			json_object_set_new(params, name, json_stringn(s, n));
			return 1;
		}
		if (!s[n])
			return 0;
	}
}

/* One message of the reason at s, rendered in Chinese onto out. */
static const char *reason_one(const char *s, char *out, size_t len)
{
	for (int c = 0; c < KCM__COUNT; c++) {
		json_t *params = json_object(), *msg;
		const char *rest = NULL;
		int ok = match(kc_msg_template((enum kc_msg_code)c), s, params, &rest);

		if (!ok) {
			json_decref(params);
			continue;
		}
		msg = json_pack("{s:s, s:o}", "code", kc_msg_name((enum kc_msg_code)c), "params", params);
		ok = msg && kc_msg_render(msg, KC_LANG_ZH, out, len) == 0;
		json_decref(msg);
		if (ok)
			return rest;
	}
	return NULL;
}

void kc_keylog_reason(const char *reason, char *out, size_t len)
{
	const char *s = reason, *w = kc_keylog_word("reason", reason);
	size_t n = 0;

	out[0] = '\0';
	if (!reason)
		return;
	if (w != reason) {
		snprintf(out, len, "%s", w);
		return;
	}
	while (s && *s && n + 1 < len) {
		s = reason_one(s, out + n, len - n);
		n += strlen(out + n);
		while (s && *s == ' ')
			s++;
	}
	if (!s) /* not a sentence of this build's catalogue: as sent */
		snprintf(out, len, "%s", reason);
}

static void field(json_t *f, const char *name, const char *v, const char *none)
{
	json_object_set_new(f, name, json_string(v && *v ? v : none));
}

static const char *data_str(const json_t *data, const char *name)
{
	return json_string_value(json_object_get(data, name));
}

static void result_text(const json_t *data, char *out, size_t len)
{
	const char *result = data_str(data, "result"), *problems = data_str(data, "problems");
	const char *fwd = data_str(data, "forwarded_to");

	if (!result || strcmp(result, "problems") != 0) {
		snprintf(out, len, "%s", result ? kc_keylog_word("result", result) : "—");
		return;
	}
	snprintf(out, len, "发现问题（%s）%s%s", problems && *problems ? problems : "未写明",
		 fwd && *fwd ? "，已转呈" : "，未转呈", fwd && *fwd ? fwd : "");
}

/* An account's sites, "SN、SO"; "" for none (every site). */
static void sites_text(const json_t *sites, char *out, size_t len)
{
	const json_t *v;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(sites, i, v) {
		int w = snprintf(out + n, len - n, "%s%s", i ? "、" : "", json_string_value(v) ? json_string_value(v) : "");

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

static json_t *sentence_fields(const struct kc_keylog_event *e)
{
	const json_t *d = e->data;
	json_t *f = json_object();
	char reason[512], result[512];
	const char *v;

	if (!f)
		return NULL;
	field(f, "actor", e->actor, "（无操作人）");
	field(f, "person", e->person, "（未登记）");
	field(f, "unit", e->unit ? e->unit : e->key, "—");
	field(f, "key", e->key, "—");
	field(f, "slot", e->slot, "—");
	field(f, "site", e->site, "—");
	field(f, "kind", kc_keylog_word("kind", e->kind), "");
	field(f, "purpose", kc_keylog_word("purpose", data_str(d, "purpose")), "未注明用途");
	kc_keylog_reason(data_str(d, "reason"), reason, sizeof(reason));
	field(f, "reason", reason, "未注明原因");
	field(f, "close_reason", kc_keylog_word("close", data_str(d, "reason")), "—");
	field(f, "late", json_is_true(json_object_get(d, "overdue")) ? "，已逾期" : "", "");
	result_text(d, result, sizeof(result));
	field(f, "result", result, "—");
	v = data_str(d, "id_type");
	field(f, "id_type", kc_keylog_word("id_type", v), "证件");
	field(f, "id_masked", data_str(d, "id_masked"), "—");
	field(f, "owner", data_str(d, "owner_name") ? data_str(d, "owner_name") : e->person, "（未登记）");
	if ((v = data_str(d, "owner_phone")))
		kc_mask_phone(v, result, sizeof(result));
	field(f, "owner_phone", v ? result : NULL, "无电话");
	field(f, "channel", kc_keylog_word("channel", data_str(d, "channel")), "—");
	field(f, "method", kc_keylog_word("method", data_str(d, "method")), "—");
	field(f, "stage", kc_keylog_word("stage", data_str(d, "stage")), "");
	field(f, "alarm", kc_keylog_word("alarm", data_str(d, "alarm_type")), "—");
	field(f, "role", kc_keylog_word("role", data_str(d, "role")), "人员");
	field(f, "vacant", json_is_true(json_object_get(d, "vacant")) ? "空置" : "非空置", "");
	field(f, "vacancy", json_is_true(json_object_get(d, "vacant")) ? "转为空置" : "转为入住", "");
	snprintf(result, sizeof(result), "%lld", (long long)json_integer_value(json_object_get(d, "handover")));
	field(f, "handover", result, "");
	/* the office chain's acts (office.c) */
	field(f, "cabinet", data_str(d, "cabinet"), "—");
	field(f, "department", data_str(d, "department"), "—");
	field(f, "to", data_str(d, "to"), "");
	field(f, "note", data_str(d, "note"), "—");
	/* an admin's acts on accounts (accounts.c) */
	field(f, "account", data_str(d, "account"), "—");
	sites_text(json_object_get(d, "sites"), result, sizeof(result));
	field(f, "sites", result, "全部项目");
	return f;
}

char *kc_keylog_sentence(const struct kc_keylog_event *e)
{
	const char *tmpl = NULL;
	char err[80], *out = NULL;
	json_t *f;

	for (size_t i = 0; e->type && i < KC_ARRAY_SIZE(types); i++)
		if (strcmp(types[i].type, e->type) == 0)
			tmpl = types[i].sentence;
	if (!tmpl)
		return strdup(e->type ? e->type : "");
	f = sentence_fields(e);
	if (!f)
		return NULL;
	if (kc_template_render(tmpl, f, &out, err, sizeof(err)) < 0)
		out = NULL;
	json_decref(f);
	return out;
}
