"""The staff console 工作台: one page whose small script calls the staff API.

Like the citizen's pages it is one request: styles and script are inline and nothing comes
from other hosts. The officer signs in with a job number and password (POST /staff/session);
the id token stays in this tab (sessionStorage, never a cookie) and goes out as
``Authorization: Bearer`` on every call to the staff API. Whatever the API returns — above all
the citizen's comment — is inserted with textContent, never parsed as HTML.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from haochaping.domain.followup import Action, NotAdoptedReason, Verdict
from haochaping.web.console_i18n import STATE_NAMES, TEXT, strings

# What each staff action needs besides the version: its text box (required or optional), and
# the reason (propose_not_adopted) or the citizen's verdict (record_call_back). Mirrors the
# domain's checks in haochaping.domain.followup.apply, so the form asks before the server refuses.
ACTION_INPUTS: dict[str, dict[str, Any]] = {
    Action.RECORD_CONTACT.value: {"text": "optional"},
    Action.RESOLVE_ON_SPOT.value: {"text": "required"},
    Action.START_RECTIFICATION.value: {"text": "optional"},
    Action.MARK_RECTIFIED.value: {"text": "required"},
    Action.EXPLAIN.value: {"text": "required"},
    Action.PROPOSE_NOT_ADOPTED.value: {"text": "required", "reason": [r.value for r in NotAdoptedReason]},
    Action.APPROVE_NOT_ADOPTED.value: {"text": "optional"},
    Action.REJECT_NOT_ADOPTED.value: {"text": "required"},
    Action.GIVE_FEEDBACK.value: {"text": "required"},
    Action.RECORD_CALL_BACK.value: {"text": "optional", "verdict": [v.value for v in Verdict]},
    Action.CLOSE.value: {"text": "optional"},
    Action.UPHOLD_APPEAL.value: {"text": "optional"},
    Action.DISMISS_APPEAL.value: {"text": "required"},
}
TEXT_LIMIT = 2000

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
sans-serif;color:#1a1a1a;background:#f4f6f8}a{color:#0b57d0}:focus-visible{outline:3px solid #0b57d0;
outline-offset:2px}[hidden]{display:none!important}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.2rem;padding:.5rem 1rem;background:#fff;
border-bottom:1px solid #c4c9d0}.brand{margin:0 auto 0 0;font-weight:700}.bar p{margin:0}
.bar nav a{display:inline-block;padding:.3rem .2rem;margin-right:.8rem}.bar nav a[aria-current=page]{font-weight:700;
color:#1a1a1a;text-decoration-thickness:3px}main{max-width:72rem;margin:0 auto;padding:.6rem 1rem 2rem}
h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1rem 0 .5rem}h3{font-size:1.05rem;margin:0 0 .5rem}
h2:focus,h3:focus{outline-offset:4px}.card>h2:first-child{margin-top:0}
button{font:inherit;font-weight:600;min-height:2.6rem;padding:.3rem 1.1rem;border:2px solid #0b57d0;
border-radius:.4rem;background:#0b57d0;color:#fff;cursor:pointer}button.quiet{background:#fff;color:#0b57d0}
button:disabled{cursor:wait;background:#5f6b7a;border-color:#5f6b7a;color:#fff}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}.choice{display:inline-flex;align-items:center;
gap:.35rem;margin:.2rem 1.2rem .2rem 0;font-weight:400}.choice input{width:1.2rem;height:1.2rem;margin:0}
input[type=text],input[type=password],select,textarea{font:inherit;color:#1a1a1a;background:#fff;padding:.45rem;
border:1px solid #5f6b7a;border-radius:.4rem}input[type=text],input[type=password],textarea{width:100%}
fieldset{border:1px solid #c4c9d0;border-radius:.5rem;margin:.6rem 0;padding:.3rem .8rem .5rem}
legend{font-weight:600;padding:0 .3rem}.card{background:#fff;border:1px solid #d5d9de;border-radius:.6rem;
padding:1rem;margin:0 0 1rem}.signin{max-width:26rem}.signin button{width:100%;margin-top:1rem}
.note{color:#4b5563;font-size:.92rem;margin:.2rem 0 .6rem}.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;
align-items:flex-end;margin:0 0 1rem}.filters label{margin:0 0 .2rem}
table{width:100%;border-collapse:collapse;background:#fff}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid #d5d9de}
th{background:#eef1f4;white-space:nowrap}
.code{font-family:ui-monospace,Consolas,monospace;font-weight:600;letter-spacing:.04em}
.clock{font-variant-numeric:tabular-nums;display:inline-block}.soon{color:#7a4b00;font-weight:700}
.overdue{color:#b3261e;font-weight:700}.overdue::before{content:"⚠ "}
.esc{display:inline-block;margin-top:.2rem;padding:0 .4rem;border-radius:.3rem;font-size:.9rem;font-weight:600;
background:#fff4d6;color:#6b4500;border:1px solid #d9a400}.esc-2,.esc-3{background:#fde8e6;color:#8a1c13;
border-color:#b3261e}
.msg{margin:.4rem 0}.msg:not(:empty){padding:.6rem .9rem;background:#fff;border-radius:.4rem;
border-left:5px solid #1e7e34}#problem:not(:empty){border-left-color:#b3261e}.msg p{margin:.1rem 0}
.cols{display:grid;gap:0 1rem}@media(min-width:60rem){.cols{grid-template-columns:1fr 1fr}}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}dl.facts dt{color:#4b5563}
dl.facts dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}.private{border-left:5px solid #b08400}
.act{border:1px solid #c4c9d0;border-radius:.5rem;padding:.6rem .8rem;margin:0 0 .8rem}.act .note{margin-top:0}
.act button{margin-top:.6rem}td.why{white-space:pre-wrap;overflow-wrap:anywhere}.nowrap{white-space:nowrap}
"""

SCRIPT = r"""
(function(){
"use strict";
var S=__STRINGS__,T=S.text,INPUTS=__INPUTS__,LIMIT=__LIMIT__;
var KEY="haochaping.staff",CODE=/^[2-9A-HJ-NP-Z]{12}$/,DAY=864e5;
var session=null,memory=null,current=null,skew=0;  /* skew: the server's clock minus this PC's */
function $(id){return document.getElementById(id);}
function fmt(s,v){return s.replace(/\{(\w+)\}/g,function(m,k){return k in v?String(v[k]):m;});}
function el(tag,attrs,kids){
  var e=document.createElement(tag);
  Object.keys(attrs||{}).forEach(function(k){var v=attrs[k];
    if(v===null||v===undefined||v===false)return;
    if(k==="text")e.textContent=String(v);else if(k==="cls")e.className=v;
    else e.setAttribute(k,v===true?"":String(v));});
  (kids||[]).forEach(function(c){if(c!==null&&c!==undefined)
    e.appendChild(typeof c==="string"?document.createTextNode(c):c);});
  return e;
}
function clear(n){while(n.firstChild)n.removeChild(n.firstChild);}
function china(iso,seconds){
  if(!iso)return "";var d=new Date(iso);if(isNaN(d.getTime()))return String(iso);
  return new Date(d.getTime()+8*36e5).toISOString().slice(0,seconds?19:16).replace("T"," ");
}
function stateName(s){return S.states[s]||s||"";}
function say(id,lines){
  $("notice").textContent="";clear($("problem"));
  var box=$(id);(lines||[]).forEach(function(l){if(l)box.appendChild(el("p",{text:l}));});
}
function notice(t){say("notice",[t]);}
function problem(lines){say("problem",lines);}

/* The token: only in this tab, never in a cookie. */
function store(s){memory=s;try{if(s)sessionStorage.setItem(KEY,JSON.stringify(s));else sessionStorage.removeItem(KEY);}
  catch(e){}}
function restore(){var s=memory;try{var raw=sessionStorage.getItem(KEY);if(raw)s=JSON.parse(raw);}catch(e){}
  return s&&s.token&&s.exp>Date.now()?s:null;}
function claims(token){
  try{var p=token.split(".")[1].replace(/-/g,"+").replace(/_/g,"/");while(p.length%4)p+="=";
    var bytes=atob(p),pct="";for(var i=0;i<bytes.length;i++)pct+="%"+("0"+bytes.charCodeAt(i).toString(16)).slice(-2);
    return JSON.parse(decodeURIComponent(pct));}catch(e){return {};}
}
function begin(tokens){
  var c=claims(tokens.id_token),g=c["cognito:groups"]||[];
  if(typeof g==="string")g=g.replace(/[\[\],]/g," ").split(/\s+/).filter(Boolean);
  session={token:tokens.id_token,exp:Date.now()+1000*(Number(tokens.expires_in)||3600),
    user:String(c["cognito:username"]||c.username||""),roles:g.map(String),hall:String(c["custom:hall"]||"")};
  store(session);
}
function mayReport(){return !!session&&session.roles.some(function(r){return r==="supervisor"||r==="admin";});}

function Failure(status,data){
  var e=(data&&data.error)||{};this.status=status;this.code=e.code||"";
  this.message=e.message||(data&&data.message)||"";this.fields=e.fields||[];
}
async function api(method,path,body){
  if(!session||session.exp<=Date.now()){signOut(T.expired);throw {handled:true};}
  var headers={"Accept":"application/json","Authorization":"Bearer "+session.token};
  if(body)headers["Content-Type"]="application/json";
  var r,data=null;
  try{r=await fetch(path,{method:method,headers:headers,body:body?JSON.stringify(body):undefined,
    cache:"no-store",credentials:"omit"});}
  catch(e){throw new Failure(0,null);}
  try{data=await r.json();}catch(e){}
  if(r.status===401){signOut(T.expired);throw {handled:true};}
  if(!r.ok)throw new Failure(r.status,data);
  if(data&&data.now&&!isNaN(Date.parse(data.now)))skew=Date.parse(data.now)-Date.now();
  return data;
}
function fieldName(f,action){
  var k=String(f).split(".").pop();
  if(k==="text")return S.text_labels[action]||k;if(k==="reason")return T.col_reason_kind;
  if(k==="verdict")return T.verdict;return k;
}
function fail(e,action){
  if(!e||e.handled)return;
  if(!(e instanceof Failure)){problem([T.network]);return;}
  var lines=[];
  if(e.status===0)lines.push(T.network);
  else if(e.status===404)lines.push(T.not_found);
  else if(e.status===403)lines.push(T.forbidden);
  else if(e.status===422&&e.fields.length){lines.push(T.invalid);
    e.fields.forEach(function(f){lines.push(fieldName(f.field,action)+": "+f.problem);});}
  else lines.push(fmt(T.failed,{status:e.status}));
  if(e.message)lines.push(fmt(T.server_said,{message:e.message}));
  problem(lines);
}

/* Views */
var VIEWS=["signin","tasks","task","reports"];
function show(view){
  VIEWS.forEach(function(v){$(v).hidden=v!==view;});
  var on=!!session;$("nav").hidden=!on;$("who").hidden=!on;$("signout").hidden=!on;
  $("nav-reports").hidden=!mayReport();
  $("nav-tasks").setAttribute("aria-current",view==="tasks"?"page":"false");
  $("nav-reports").setAttribute("aria-current",view==="reports"?"page":"false");
  if(on)$("who").textContent=fmt(T.who,{user:session.user||"—",hall:session.hall||"—",
    roles:session.roles.map(function(r){return S.roles[r]||r;}).join(T.list_sep)||"—"});
  if(view!=="task")forgetTask();
}
function forgetTask(){current=null;["task-facts","task-rating","task-evaluator","task-actions","audit-rows"]
  .forEach(function(id){clear($(id));});}
function focusOn(id){var h=$(id);if(h)h.focus();}
function langLink(){var a=$("lang");a.setAttribute("href",a.getAttribute("data-base")+location.hash);}
function route(focus){
  langLink();
  if(!session){show("signin");if(focus!==false)focusOn("username");return;}
  var h=decodeURIComponent(location.hash.replace(/^#/,"")),m=/^task=(.+)$/.exec(h);
  if(m&&CODE.test(m[1].trim().toUpperCase())){openTask(m[1].trim().toUpperCase(),focus);return;}
  if(h==="reports"&&mayReport()){loadReports(focus);return;}
  loadTasks(focus);
}

/* Deadlines: first contact until contacted, then rectification; none once closed. */
function dueOf(t){if(t.state==="closed")return null;return t.contacted?t.rectification_due:t.first_contact_due;}
function span(ms){
  var s=Math.floor(Math.abs(ms)/1000),d=Math.floor(s/86400),h=Math.floor(s%86400/3600),m=Math.floor(s%3600/60),x=s%60;
  function two(n){return (n<10?"0":"")+n;}
  return (d?d+T.day+" ":"")+two(h)+":"+two(m)+":"+two(x);
}
function clock(iso){return el("span",{cls:"clock","data-due":String(Date.parse(iso))});}
function tick(){
  var now=Date.now()+skew;
  document.querySelectorAll(".clock").forEach(function(c){
    var left=Number(c.getAttribute("data-due"))-now,over=left<0,soon=!over&&left<=DAY;
    c.textContent=over?fmt(T.overdue,{t:span(left)}):fmt(T.left,{t:span(left)})+(soon?T.soon_suffix:"");
    c.className="clock"+(over?" overdue":soon?" soon":"");
  });
}
function deadline(t){
  var due=dueOf(t);
  if(!due)return el("span",{cls:"note",text:T.finished});
  return el("span",{},[el("span",{text:(t.contacted?T.rectification_due:T.contact_due)+" "+china(due)}),el("br"),
    clock(due),t.deadlines_provisional?el("span",{cls:"note",text:" "+T.provisional}):null,
    t.escalation?el("br"):null,escalation(t)]);
}
/* How high an overdue task has climbed 督办: level 0 reminder … 3 city. */
function escalation(t){
  var e=t.escalation;if(!e)return null;
  return el("span",{cls:"esc esc-"+e.level,text:T.escalation+" "+e.level+" · "+(S.rungs[e.rung]||e.rung)});
}
function actionName(a){var m=/^escalate:(.+)$/.exec(a);return m?(S.rungs[m[1]]||a):(S.actions[a]||a);}

/* Task list */
async function loadTasks(focus){
  show("tasks");
  var q=new URLSearchParams();
  [["state","f-state"],["due","f-due"],["real_name","f-real"]].forEach(function(p){
    var v=$(p[1]).value;if(v)q.set(p[0],v);});
  $("task-table").setAttribute("aria-busy","true");$("task-count").textContent=T.loading;
  if(focus)focusOn("tasks-h");
  try{var data=await api("GET","/staff/tasks"+(String(q)?"?"+q:""));renderTasks(data.tasks||[],data.recent);}
  catch(e){fail(e);}
  finally{$("task-table").setAttribute("aria-busy","false");}
}
function renderTasks(tasks,recent){
  var body=$("task-rows");clear(body);
  tasks.sort(function(a,b){var x=dueOf(a),y=dueOf(b);
    if(!x!==!y)return x?-1:1;return x?Date.parse(x)-Date.parse(y):0;});
  tasks.forEach(function(t){
    body.appendChild(el("tr",{},[
      el("td",{},[el("a",{cls:"code",href:"#task="+t.tracking_code,text:t.tracking_code})]),
      el("td",{text:t.window_code}),el("td",{text:stateName(t.state)}),
      el("td",{text:t.real_name?T.yes:T.no}),el("td",{},[deadline(t)])]));
  });
  $("task-count").textContent=fmt(T.task_count,{n:tasks.length,recent:recent});
  $("no-tasks").hidden=tasks.length>0;$("task-table").hidden=tasks.length===0;
  tick();
}

/* One task */
async function openTask(code,focus){
  show("task");forgetTask();
  $("task-h").textContent=fmt(T.task_heading,{code:code});
  $("task-facts").appendChild(el("p",{text:T.loading}));
  if(focus)focusOn("task-h");
  try{renderTask(await api("GET","/staff/tasks/"+code));}catch(e){clear($("task-facts"));fail(e);}
}
function row(dl,term,value){
  if(value===null||value===undefined||value==="")return;
  dl.appendChild(el("dt",{text:term}));
  dl.appendChild(el("dd",{},[value]));
}
function renderTask(t){
  forgetTask();current=t;
  $("task-h").textContent=fmt(T.task_heading,{code:t.tracking_code});
  var f=$("task-facts"),due=dueOf(t);
  row(f,T.state,stateName(t.state));row(f,T.window,t.window_code);row(f,T.real_name,t.real_name?T.yes:T.no);
  row(f,T.opened_at,china(t.opened_at));
  row(f,T.contact_due,china(t.first_contact_due)+" · "+(t.contacted?T.contacted:T.not_contacted));
  row(f,T.rectification_due,china(t.rectification_due));
  var note=t.deadlines_provisional?el("span",{cls:"note",text:" "+T.provisional}):null;
  row(f,T.time_left,due?el("span",{},[(t.contacted?T.rectification_due:T.contact_due)+" ",clock(due),note]):T.finished);
  if(t.escalation)row(f,T.escalation,el("span",{},[escalation(t)," "+china(t.escalation.at)]));
  row(f,T.outcome_text,t.explanation);row(f,T.feedback,t.feedback);
  row(f,T.verdict,t.verdict?(S.verdicts[t.verdict]||t.verdict):"");
  row(f,T.not_adopted_reason,t.not_adopted_reason?(S.reasons[t.not_adopted_reason]||t.not_adopted_reason):"");
  row(f,T.evidence,t.evidence);row(f,T.proposed_by,t.proposed_by);row(f,T.appeal,t.appeal);
  if(t.appeal_open)row(f,T.appeal,T.appeal_open);if(t.rating_void)row(f,T.rating_heading,T.rating_void);
  row(f,T.version,String(t.version));

  var r=$("task-rating"),rating=t.rating;
  if(!rating)r.appendChild(el("p",{text:T.no_rating}));
  else{var dl=el("dl",{cls:"facts"});r.appendChild(dl);
    row(dl,T.level,S.levels[String(rating.level)]||rating.level_name);
    row(dl,T.tags,(rating.tags||[]).map(function(x){return typeof x==="object"&&x?
      (document.documentElement.lang==="en"&&x.name_en?x.name_en:x.name||x.code):String(x);}).join(T.list_sep)||T.none);
    row(dl,T.comment,rating.comment||T.none);row(dl,T.rated_at,china(rating.rated_at));
    row(dl,T.channel,S.channels[rating.channel]||rating.channel);row(dl,T.rated_staff,rating.staff_job_number);}

  var ev=$("task-evaluator");ev.parentNode.classList.toggle("private",!!t.evaluator);
  if(t.evaluator){var edl=el("dl",{cls:"facts"});
    row(edl,T.evaluator_name,t.evaluator.name);
    if(t.evaluator.phone)row(edl,T.evaluator_phone,el("a",{href:"tel:"+t.evaluator.phone,id:"evaluator-phone",
      text:t.evaluator.phone}));
    ev.appendChild(edl);ev.appendChild(el("p",{cls:"note",text:T.evaluator_note}));}
  else ev.appendChild(el("p",{cls:"note",text:t.real_name?T.hidden_note:T.anonymous_note}));

  var box=$("task-actions"),allowed=(t.allowed_actions||[]).filter(function(a){return a in INPUTS;});
  if(!allowed.length)box.appendChild(el("p",{cls:"note",text:T.no_actions}));
  allowed.forEach(function(a){box.appendChild(actionForm(a));});

  var rows=$("audit-rows");
  (t.audit||[]).forEach(function(e){
    rows.appendChild(el("tr",{},[el("td",{text:String(e.sequence)}),el("td",{cls:"nowrap",text:china(e.at,true)}),
      el("td",{text:e.actor==="system"?S.roles.system:e.actor}),
      el("td",{cls:"nowrap",text:String(e.role||"").split(",").map(function(x){return S.roles[x]||x;})
        .join(T.list_sep)}),
      el("td",{text:actionName(e.action)}),
      el("td",{text:(e.from_state?stateName(e.from_state):"—")+T.arrow+stateName(e.to_state)}),
      el("td",{cls:"why",text:e.reason||""})]));
  });
  tick();
}
function choices(name,legend,values,names,id){
  var fs=el("fieldset",{},[el("legend",{text:legend+T.required})]);
  values.forEach(function(v,i){
    fs.appendChild(el("label",{cls:"choice"},[el("input",{type:"radio",name:name,value:v,id:id+"-"+v,
      required:i===0}),names[v]||v]));});
  return fs;
}
function actionForm(a){
  var spec=INPUTS[a],id="act-"+a.replace(/_/g,"-"),name=S.actions[a]||a;
  var form=el("form",{cls:"act","data-action":a},[el("p",{cls:"note",id:id+"-hint",text:S.hints[a]||""})]);
  if(spec.reason)form.appendChild(choices("reason",T.col_reason_kind,spec.reason,S.reasons,id));
  if(spec.verdict)form.appendChild(choices("verdict",T.verdict,spec.verdict,S.verdicts,id));
  if(spec.text){var need=spec.text==="required";
    form.appendChild(el("label",{"for":id+"-text",text:(S.text_labels[a]||"")+(need?T.required:T.optional)}));
    form.appendChild(el("textarea",{id:id+"-text",name:"text",rows:3,maxlength:LIMIT,required:need}));}
  form.appendChild(el("button",{type:"submit",id:id,"aria-describedby":id+"-hint",text:name}));
  form.addEventListener("submit",function(e){e.preventDefault();act(form,a);});
  return form;
}
function busy(on){document.querySelectorAll("#task-actions button").forEach(function(b){b.disabled=on;});
  $("task").setAttribute("aria-busy",on?"true":"false");}
async function act(form,a){
  if(!current)return;
  var spec=INPUTS[a],body={action:a,version:current.version,text:""},code=current.tracking_code;
  var box=form.querySelector("textarea");if(box)body.text=box.value.trim();
  ["reason","verdict"].forEach(function(k){if(spec[k]){var c=form.querySelector("input[name="+k+"]:checked");
    body[k]=c?c.value:null;}});
  busy(true);notice(T.sending);
  try{var t=await api("POST","/staff/tasks/"+code+"/actions",body);
    renderTask(t);notice(fmt(T.done,{action:S.actions[a]||a,state:stateName(t.state)}));focusOn("actions-h");}
  catch(e){
    if(e instanceof Failure&&e.status===409){
      try{renderTask(await api("GET","/staff/tasks/"+code));}catch(x){}
      problem([T.conflict,e.message?fmt(T.server_said,{message:e.message}):""]);focusOn("actions-h");
    }else{fail(e,a);var first=form.querySelector("textarea,input");if(first&&e.status===422)first.focus();}
  }
  finally{busy(false);}
}

/* Not-adopted reports */
async function loadReports(focus){
  show("reports");if(focus)focusOn("reports-h");
  try{var data=await api("GET","/staff/reports"),items=data.reports||[],body=$("report-rows");clear(body);
    items.forEach(function(r){body.appendChild(el("tr",{},[
      el("td",{},[el("a",{cls:"code",href:"#task="+r.tracking_code,text:r.tracking_code})]),
      el("td",{text:r.hall_code}),el("td",{text:r.window_code}),el("td",{text:S.reasons[r.reason]||r.reason}),
      el("td",{text:r.proposed_by}),el("td",{text:r.approved_by}),el("td",{text:china(r.decided_at)})]));});
    $("no-reports").hidden=items.length>0;$("report-table").hidden=items.length===0;}
  catch(e){fail(e);}
}

/* Sign in and out */
function signOut(message){
  session=null;store(null);forgetTask();
  if(location.hash)history.replaceState(null,"",location.pathname+location.search);
  $("username").value="";$("password").value="";
  show("signin");langLink();notice(message);$("username").focus();
}
$("signin-form").addEventListener("submit",async function(e){
  e.preventDefault();
  var user=$("username").value.trim(),pass=$("password"),button=$("signin-button");
  button.disabled=true;notice(T.signing_in);
  try{
    var r=await fetch("/staff/session",{method:"POST",cache:"no-store",credentials:"omit",
      headers:{"Content-Type":"application/json","Accept":"application/json"},
      body:JSON.stringify({username:user,password:pass.value})});
    var data=null;try{data=await r.json();}catch(x){}
    pass.value="";
    if(!r.ok||!data||!data.id_token){
      problem([r.status===401?T.sign_in_refused:fmt(T.failed,{status:r.status})]);pass.focus();return;}
    begin(data);notice(T.signed_in);route(true);
  }catch(x){problem([T.network]);}
  finally{button.disabled=false;}
});
$("signout").addEventListener("click",function(){signOut(T.signed_out);});
$("filters").addEventListener("submit",function(e){e.preventDefault();loadTasks(false);});
["nav-tasks","nav-reports"].forEach(function(id){$(id).addEventListener("click",function(e){
  if($(id).getAttribute("href")===location.hash){e.preventDefault();route(true);}});});
window.addEventListener("hashchange",function(){route(true);});
session=restore();route(session?false:undefined);
setInterval(tick,1000);
})();
"""


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _options(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in pairs)


def console_page(lang: str) -> str:
    """The whole console in ``lang`` ("zh" or "en"): sign-in, task list, one task, reports."""
    text = TEXT[lang]
    other = "en" if lang == "zh" else "zh"
    switch_href = "/console?lang=en" if other == "en" else "/console"

    def t(key: str) -> str:
        return escape(text[key])

    script = (
        SCRIPT.replace("__STRINGS__", _script_json(strings(lang)))
        .replace("__INPUTS__", _script_json(ACTION_INPUTS))
        .replace("__LIMIT__", str(TEXT_LIMIT))
    )
    state_options = _options([("", text["all"]), *STATE_NAMES[lang].items()])
    due_options = _options([("", text["all"]), ("soon", text["due_soon"]), ("overdue", text["due_overdue"])])
    real_options = _options([("", text["all"]), ("true", text["real_name_only"]), ("false", text["anonymous_only"])])
    header = (
        f'<header class="bar"><p class="brand">{t("brand")}</p>'
        f'<nav id="nav" aria-label="{t("nav_label")}" hidden>'
        f'<a id="nav-tasks" href="#tasks">{t("nav_tasks")}</a>'
        f'<a id="nav-reports" href="#reports" hidden>{t("nav_reports")}</a></nav>'
        f'<p id="who" hidden></p><button id="signout" class="quiet" type="button" hidden>{t("sign_out")}</button>'
        f'<a id="lang" href="{switch_href}" data-base="{switch_href}" lang="{TEXT[other]["html_lang"]}" '
        f'hreflang="{TEXT[other]["html_lang"]}">{t("switch")}</a></header>'
    )
    signin = (
        f'<section id="signin" aria-labelledby="signin-h" hidden><div class="card signin">'
        f'<h2 id="signin-h" tabindex="-1">{t("sign_in")}</h2><p class="note">{t("sign_in_intro")}</p>'
        f'<form id="signin-form" method="post" action="/staff/session">'
        f'<label for="username">{t("job_number")}</label>'
        f'<input type="text" id="username" name="username" autocomplete="username" autocapitalize="characters" '
        f'spellcheck="false" maxlength="64" required>'
        f'<label for="password">{t("password")}</label>'
        f'<input type="password" id="password" name="password" autocomplete="current-password" maxlength="256" '
        f"required>"
        f'<button type="submit" id="signin-button">{t("sign_in")}</button></form></div></section>'
    )
    tasks = (
        f'<section id="tasks" aria-labelledby="tasks-h" hidden>'
        f'<h2 id="tasks-h" tabindex="-1">{t("tasks_heading")}</h2>'
        f'<form id="filters" class="filters" role="search" aria-label="{t("filters")}">'
        f'<div><label for="f-state">{t("filter_state")}</label><select id="f-state">{state_options}</select></div>'
        f'<div><label for="f-due">{t("filter_due")}</label><select id="f-due">{due_options}</select></div>'
        f'<div><label for="f-real">{t("filter_real_name")}</label><select id="f-real">{real_options}</select></div>'
        f'<button type="submit">{t("apply")}</button></form>'
        f'<p id="task-count" class="note"></p><p id="no-tasks" hidden>{t("no_tasks")}</p>'
        f'<table id="task-table" aria-labelledby="tasks-h"><thead><tr>'
        f'<th scope="col">{t("col_code")}</th><th scope="col">{t("col_window")}</th>'
        f'<th scope="col">{t("col_state")}</th><th scope="col">{t("col_real_name")}</th>'
        f'<th scope="col">{t("col_deadline")}</th></tr></thead><tbody id="task-rows"></tbody></table></section>'
    )
    task = (
        f'<section id="task" aria-labelledby="task-h" hidden>'
        f'<h2 id="task-h" tabindex="-1"></h2><p><a href="#tasks">{t("back_to_list")}</a></p>'
        f'<div class="cols"><div>'
        f'<section class="card" aria-labelledby="facts-h"><h3 id="facts-h">{t("facts")}</h3>'
        f'<dl id="task-facts" class="facts"></dl></section>'
        f'<section class="card" aria-labelledby="rating-h"><h3 id="rating-h">{t("rating_heading")}</h3>'
        f'<div id="task-rating"></div></section>'
        f'<section class="card" aria-labelledby="evaluator-h"><h3 id="evaluator-h">{t("evaluator_heading")}</h3>'
        f'<div id="task-evaluator"></div></section></div>'
        f'<section class="card" aria-labelledby="actions-h"><h3 id="actions-h" tabindex="-1">'
        f'{t("actions_heading")}</h3><div id="task-actions"></div></section></div>'
        f'<section class="card" aria-labelledby="audit-h"><h3 id="audit-h">{t("audit_caption")}</h3>'
        f'<table id="audit-table" aria-labelledby="audit-h"><thead><tr>'
        f'<th scope="col">{t("col_seq")}</th><th scope="col">{t("col_at")}</th><th scope="col">{t("col_actor")}</th>'
        f'<th scope="col">{t("col_role")}</th><th scope="col">{t("col_action")}</th>'
        f'<th scope="col">{t("col_change")}</th><th scope="col">{t("col_reason")}</th></tr></thead>'
        f'<tbody id="audit-rows"></tbody></table></section></section>'
    )
    reports = (
        f'<section id="reports" aria-labelledby="reports-h" hidden>'
        f'<h2 id="reports-h" tabindex="-1">{t("reports_heading")}</h2><p class="note">{t("reports_intro")}</p>'
        f'<p id="no-reports" hidden>{t("no_reports")}</p>'
        f'<table id="report-table" aria-labelledby="reports-h"><thead><tr>'
        f'<th scope="col">{t("col_code")}</th><th scope="col">{t("col_hall")}</th>'
        f'<th scope="col">{t("col_window")}</th><th scope="col">{t("col_reason_kind")}</th>'
        f'<th scope="col">{t("col_proposed_by")}</th><th scope="col">{t("col_approved_by")}</th>'
        f'<th scope="col">{t("col_decided_at")}</th></tr></thead><tbody id="report-rows"></tbody></table></section>'
    )
    return (
        f'<!doctype html><html lang="{text["html_lang"]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
        f"<title>{t('title')}</title><style>{STYLE}</style></head><body>{header}"
        f'<main><h1>{t("heading")}</h1><noscript><p class="msg">{t("noscript")}</p></noscript>'
        f'<div id="notice" class="msg" role="status" aria-live="polite"></div>'
        f'<div id="problem" class="msg" role="alert" aria-live="assertive"></div>'
        f"{signin}{tasks}{task}{reports}</main><script>{script}</script></body></html>"
    )
