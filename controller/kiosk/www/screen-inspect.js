/* The inspection's result, recorded on the terminal. */
import { S } from './state.js';
import { nameOf, t } from './words.js';
import { btn, h, rerender, show } from './dom.js';
import { op, refusal } from './api.js';
import { notice, touch } from './header.js';
import { idle } from './screen-idle.js';
import { home } from './screen-home.js';

/* ---- the inspection's result, recorded by whoever is logged in; the
 * inspector keycabd records is the borrower of the loan ---- */
export var DEPTS = ['dept_engineering', 'dept_cleaning', 'dept_security', 'dept_sales'];
export function inspectForm(ctx) {
  var save = function () {
    var req = { loan: ctx.loan, result: ctx.result };
    if (ctx.result === 'problems') { req.problems = ctx.problems || ''; req.forwarded_to = ctx.dept ? t(ctx.dept) : ''; }
    op('inspect', req).then(function (rep) {
      if (rep.ok) { notice(t('saved') + ' · ' + (ctx.unit || ctx.key), 'good', null, 'inspection-saved'); show(S.user ? home : idle, {}); }
      else { ctx.rep = rep; rerender(ctx); }
    });
  };
  return [h('h1', { text: t('record_inspection') }),
    h('div', { text: t('inspection_for', { unit: ctx.unit || ctx.key, name: nameOf(ctx.borrower) }) }),
    h('div.row', {}, btn(t('result_ok'), function () { ctx.result = 'ok'; rerender(ctx); }, ctx.result === 'ok' ? 'sel' : '', 'result-ok'),
      btn(t('result_problems'), function () { ctx.result = 'problems'; rerender(ctx); }, ctx.result === 'problems' ? 'sel' : '', 'result-problems')),
    ctx.result === 'problems' ? [h('label.lbl', { text: t('problems_text') }),
      h('textarea', { 'data-t': 'problems', 'data-phrases': 'problem', on: { input: function (e) { ctx.problems = e.target.value; touch(); } } }, ctx.problems || ''),
      h('label.lbl', { text: t('forwarded_to') }),
      h('div.row', {}, DEPTS.map(function (d) { return btn(t(d), function () { ctx.dept = d; rerender(ctx); }, ctx.dept === d ? 'sel' : '', d); }))] : null,
    refusal(ctx.rep),
    h('div.row', {}, btn(t('back'), function () { show(S.user ? home : idle, {}); }, '', 'back'),
      btn(t('save'), save, 'primary', 'save'))];
}
inspectForm.screen = 'inspect';
