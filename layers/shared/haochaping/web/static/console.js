(function(){
"use strict";
/* What the page gives the script: its words, each action's inputs, the text limit. */
var DATA=JSON.parse(document.getElementById("console-data").textContent);
var S=DATA.strings,T=S.text,INPUTS=DATA.inputs,LIMIT=DATA.limit,CONFIRM=DATA.confirm;
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
/* A deadline is the end of its working day: "12-03 24:00" (the year too when it is not this one). */
function dayEnd(day){
  if(!day)return "";var year=china(new Date(Date.now()+skew).toISOString()).slice(0,4);
  return fmt(T.day_end,{day:String(day).slice(0,4)===year?String(day).slice(5):String(day)});
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
  catch{/* storage refused (a private window): the session lives in memory only */}}
function restore(){var s=memory;try{var raw=sessionStorage.getItem(KEY);if(raw)s=JSON.parse(raw);}
  catch{/* storage refused or unreadable: the session in memory, if any */}
  return s&&s.token&&s.exp>Date.now()?s:null;}
function claims(token){
  try{var p=token.split(".")[1].replace(/-/g,"+").replace(/_/g,"/");while(p.length%4)p+="=";
    var bytes=atob(p),pct="";for(var i=0;i<bytes.length;i++)pct+="%"+("0"+bytes.charCodeAt(i).toString(16)).slice(-2);
    return JSON.parse(decodeURIComponent(pct));}catch{return {};}
}
function begin(tokens){
  var c=claims(tokens.id_token),g=c["cognito:groups"]||[];
  if(typeof g==="string")g=g.replace(/[[\],]/g," ").split(/\s+/).filter(Boolean);
  session={token:tokens.id_token,exp:Date.now()+1000*(Number(tokens.expires_in)||3600),
    user:String(c["cognito:username"]||c.username||""),roles:g.map(String),hall:String(c["custom:hall"]||"")};
  store(session);
}
function mayReport(){return !!session&&session.roles.some(function(r){return r==="supervisor"||r==="admin"||r==="overseer";});}
/* The management office 管理办公室 reads reports: it has no hall's task list of its own. */
function reportsOnly(){return !!session&&session.roles.length>0&&session.roles.every(function(r){return r==="overseer";});}

function Handled(){this.handled=true;}  /* already told: the session ended */
function Failure(status,data){
  var e=(data&&data.error)||{};this.status=status;this.code=e.code||"";
  this.message=e.message||(data&&data.message)||"";this.fields=e.fields||[];
}
async function api(method,path,body){
  if(!session||session.exp<=Date.now()){signOut(T.expired);throw new Handled();}
  var headers={"Accept":"application/json","Authorization":"Bearer "+session.token};
  if(body)headers["Content-Type"]="application/json";
  var r,data=null;
  try{r=await fetch(path,{method:method,headers:headers,body:body?JSON.stringify(body):undefined,
    cache:"no-store",credentials:"omit"});}
  catch{throw new Failure(0,null);}
  try{data=await r.json();}catch{/* no JSON body: the status says enough */}
  if(r.status===401){signOut(T.expired);throw new Handled();}
  if(!r.ok)throw new Failure(r.status,data);
  if(data&&data.now&&!isNaN(Date.parse(data.now)))skew=Date.parse(data.now)-Date.now();
  return data;
}
function reasonLegend(action){return S.reason_legends[action]||T.col_reason_kind;}
function fieldName(f,action){
  var k=String(f).split(".").pop();
  if(k==="reason")return reasonLegend(action);if(k==="verdict")return T.verdict;
  if(k==="assignee")return T.assignee;if(k==="period")return T.figures_kind;
  if(k==="scope")return T.figures_scope;return S.text_labels[action]||T.col_reason;
}
/* Said in the console's words, by the status and the error's code: the server's own text is for
   programs and its logs, never shown (it is English, and may name internals). */
function fail(e,action){
  if(!e||e.handled)return;
  if(!(e instanceof Failure)){problem([T.network]);return;}
  var lines=[];
  if(e.status===0)lines.push(T.network);
  else if(e.status===404)lines.push(T.not_found);
  else if(e.status===403)lines.push(e.code==="not_holder"?T.not_holder:action==="figures"?T.figures_forbidden:T.forbidden);
  else if(e.status===409)lines.push(e.code==="stale_version"?T.conflict:T.refused);
  else if(e.status===422&&e.fields.length){lines.push(T.invalid);
    e.fields.forEach(function(f){lines.push(fmt(T.field_invalid,{label:fieldName(f.field,action)}));});}
  else lines.push(fmt(T.failed,{status:e.status}));
  problem(lines);
}

/* Views */
var VIEWS=["signin","tasks","task","reports","figures"];
function show(view){
  VIEWS.forEach(function(v){$(v).hidden=v!==view;});
  var on=!!session;$("nav").hidden=!on;$("who").hidden=!on;$("signout").hidden=!on;
  $("nav-reports").hidden=!mayReport();$("nav-tasks").hidden=reportsOnly();
  $("nav-tasks").setAttribute("aria-current",view==="tasks"?"page":"false");
  $("nav-reports").setAttribute("aria-current",view==="reports"?"page":"false");
  $("nav-figures").hidden=!scopes().length;
  $("nav-figures").setAttribute("aria-current",view==="figures"?"page":"false");
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
  if(h==="figures"&&scopes().length){openFigures(focus);return;}
  if((h==="reports"||reportsOnly())&&mayReport()){loadReports(focus);return;}
  loadTasks(focus);
}

/* The deadline whose clock runs, as the server says (first contact until verification moves on,
   then rectification); none once closed or not adopted. */
function dueOf(t){return t.running_deadline?t.running_deadline.due_at:null;}
function stopped(t){return t.state==="closed"?T.clock_closed:T.clock_void;}
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
  var d=t.running_deadline;
  if(!d)return el("span",{cls:"note",text:stopped(t)});
  return el("span",{},[el("span",{text:S.deadlines[d.kind]+" "+dayEnd(d.day)}),el("br"),
    clock(d.due_at),t.deadlines_provisional?el("span",{cls:"note",text:" "+T.provisional}):null,
    t.escalation?el("br"):null,escalation(t)]);
}
/* What the task waits for, as badges: a supervisor's decision, an appeal. */
function flags(t){
  var out=[];
  if(t.awaiting_supervisor)out.push(el("span",{cls:"badge wait",text:S.flags.awaiting_supervisor}));
  if(t.appeal_open)out.push(el("span",{cls:"badge appeal",text:S.flags.appeal_open}));
  return out;
}
function tagNames(tags){
  return (tags||[]).map(function(x){return typeof x==="object"&&x?
    (document.documentElement.lang==="en"&&x.name_en?x.name_en:x.name||x.code):String(x);}).join(T.list_sep);
}
/* One cell; its content in one element, so that a narrow screen can set it beside the column's name. */
function cell(label,kids,cls){return el("td",{role:"cell","data-label":label,cls:cls},[el("span",{},kids)]);}
/* How high an overdue task has climbed 督办: level 0 reminder … 3 city. */
function escalation(t){
  var e=t.escalation;if(!e)return null;
  return el("span",{cls:"esc esc-"+e.level,text:T.escalation+" "+e.level+" · "+(S.rungs[e.rung]||e.rung)});
}
/* What a move chose or the system decided, kept as codes, in the console's words. */
function said(codes){
  var c=codes||{},parts=[];
  if(c.reason)parts.push(S.reasons[c.reason]||c.reason);
  if(c.verdict)parts.push(S.verdicts[c.verdict]||c.verdict);
  if(c.deadline)parts.push(S.deadlines[c.deadline]+" "+dayEnd(c.due_day));
  ["first_contact","rectification"].forEach(function(k){
    if(c[k+"_from"])parts.push(S.deadlines[k]+" "+dayEnd(c[k+"_from"])+T.arrow+dayEnd(c[k+"_to"]));});
  if(c.provisional)parts.push(c.provisional==="yes"?T.recount_provisional:T.recount_official);
  if(c.holder_to)parts.push((c.holder_from||"—")+T.arrow+c.holder_to);
  if(c.attempts)parts.push(fmt(T.unreachable_after,{attempts:c.attempts,days:c.working_days}));
  if(c.reopening)parts.push(fmt(T.reopened,{n:c.reopening,of:c.reopenings_allowed}));
  return parts.join(T.list_sep);
}
function actionName(a){var m=/^escalate:(.+)$/.exec(a);return m?(S.rungs[m[1]]||a):(S.actions[a]||a);}

/* Who answers for a task 专人: the holder's job number, marked when it is the person signed in. */
function holder(t){
  if(!t.holder)return el("span",{cls:"note",text:T.unclaimed});
  var mine=!!session&&t.holder===session.user;
  return el("span",{cls:mine?"holder mine":"holder",text:mine?fmt(T.holder_you,{holder:t.holder}):t.holder});
}

/* Task list */
async function loadTasks(focus){
  show("tasks");
  var q=new URLSearchParams();
  [["state","f-state"],["due","f-due"],["real_name","f-real"],["holder","f-holder"],["flag","f-flag"]].forEach(function(p){
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
    var level=t.level?S.levels[String(t.level)]:"";
    body.appendChild(el("tr",{role:"row"},[
      cell(T.col_code,[el("a",{cls:"code",href:"#task="+t.tracking_code,text:t.tracking_code})]),
      cell(T.col_window,[t.window_code]),
      cell(T.col_rating,[level,level&&t.tags&&t.tags.length?el("br"):null,
        t.tags&&t.tags.length?el("span",{cls:"note",text:tagNames(t.tags)}):null]),
      cell(T.col_state,[stateName(t.state)].concat(flags(t))),
      cell(T.col_real_name,[t.real_name?T.yes:T.no]),cell(T.col_holder,[holder(t)]),
      cell(T.col_deadline,[deadline(t)])]));
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
/* said: words as a person wrote them (the citizen's comment, an officer's note), in whatever language. */
function row(dl,term,value,said){
  if(value===null||value===undefined||value==="")return;
  dl.appendChild(el("dt",{text:term}));
  dl.appendChild(el("dd",{cls:said?"said":null},[value]));
}
function renderTask(t){
  forgetTask();current=t;
  $("task-h").textContent=fmt(T.task_heading,{code:t.tracking_code});
  var f=$("task-facts"),d=t.running_deadline;
  row(f,T.state,el("span",{},[stateName(t.state)].concat(flags(t))));
  row(f,T.window,t.window_code);row(f,T.real_name,t.real_name?T.yes:T.no);
  row(f,T.holder,holder(t));row(f,T.officers,(t.officers||[]).join(T.list_sep));
  row(f,T.opened_at,china(t.opened_at));
  /* Contacted only as recorded: an anonymous evaluator is never called, and verification moving
     on meets the first-contact deadline without reaching anyone. */
  row(f,T.contact,!t.real_name?T.anonymous_no_contact:
    t.contacted?fmt(T.contacted_at,{at:china(t.contacted_at)}):T.not_contacted);
  row(f,T.contact_due,dayEnd(t.first_contact_day));
  row(f,T.rectification_due,dayEnd(t.rectification_day));
  var note=t.deadlines_provisional?el("span",{cls:"note",text:" "+T.provisional}):null;
  row(f,T.time_left,d?el("span",{},[S.deadlines[d.kind]+" ",clock(d.due_at),note]):stopped(t));
  if(t.escalation)row(f,T.escalation,el("span",{},[escalation(t)," "+china(t.escalation.at)]));
  row(f,T.outcome_text,t.explanation,true);row(f,T.feedback,t.feedback,true);
  row(f,T.verdict,t.verdict?(S.verdicts[t.verdict]||t.verdict):"");
  row(f,T.not_adopted_reason,t.not_adopted_reason?(S.reasons[t.not_adopted_reason]||t.not_adopted_reason):"");
  row(f,T.evidence,t.evidence,true);row(f,T.proposed_by,t.proposed_by);row(f,T.approved_by,t.approved_by);
  row(f,T.appeal,t.appeal,true);if(t.appeal_to_division)row(f,T.appeal,T.appeal_to_division);
  if(t.rating_void)row(f,T.rating_heading,T.rating_void);
  row(f,T.call_back_attempts,(t.call_back_attempts||[]).map(function(a){
    return china(a.at)+" "+(S.reasons[a.outcome]||a.outcome);}).join(T.list_sep));
  if(t.unreachable)row(f,T.call_back_attempts,T.unreachable);
  if(t.reopenings)row(f,T.reopenings,String(t.reopenings));

  var r=$("task-rating"),rating=t.rating;
  if(!rating)r.appendChild(el("p",{text:T.no_rating}));
  else{var dl=el("dl",{cls:"facts"});r.appendChild(dl);
    row(dl,T.level,S.levels[String(rating.level)]||rating.level_name);
    row(dl,T.tags,tagNames(rating.tags)||T.none);
    row(dl,T.comment,rating.comment||T.none,!!rating.comment);row(dl,T.rated_at,china(rating.rated_at));
    row(dl,T.channel,S.channels[rating.channel]||rating.channel);row(dl,T.rated_staff,rating.staff_job_number);}

  var ev=$("task-evaluator");ev.parentNode.classList.toggle("private",!!t.evaluator);
  if(t.evaluator){var edl=el("dl",{cls:"facts"});
    row(edl,T.evaluator_name,t.evaluator.name,true);
    if(t.evaluator.phone)row(edl,T.evaluator_phone,el("a",{href:"tel:"+t.evaluator.phone,id:"evaluator-phone",
      text:t.evaluator.phone}));
    ev.appendChild(edl);ev.appendChild(el("p",{cls:"note",text:T.evaluator_note}));}
  else ev.appendChild(el("p",{cls:"note",text:t.real_name?T.hidden_note:T.anonymous_note}));

  var box=$("task-actions"),allowed=(t.allowed_actions||[]).filter(function(a){return a in INPUTS;});
  if(!allowed.length)box.appendChild(el("p",{cls:"note",text:T.no_actions}));
  allowed.forEach(function(a){box.appendChild(actionForm(a));});

  var rows=$("audit-rows");
  (t.audit||[]).forEach(function(e){
    rows.appendChild(el("tr",{role:"row"},[cell(T.col_seq,[String(e.sequence)]),
      cell(T.col_at,[china(e.at,true)],"nowrap"),
      cell(T.col_actor,[S.roles[e.actor]||e.actor]),
      cell(T.col_role,[String(e.role||"").split(",").map(function(x){return S.roles[x]||x;}).join(T.list_sep)],
        "nowrap"),
      cell(T.col_action,[actionName(e.action)]),
      cell(T.col_change,[(e.from_state?stateName(e.from_state):"—")+T.arrow+stateName(e.to_state)]),
      cell(T.col_reason,[said(e.codes),said(e.codes)&&e.reason?T.list_sep:"",
        e.reason?el("span",{cls:"said",text:e.reason}):null],"why")]));
  });
  tick();
}
function choices(name,legend,values,names,id){
  var fs=el("fieldset",{},[el("legend",{text:legend+T.required})]);
  values.forEach(function(v,i){
    fs.appendChild(el("label",{cls:"choice"},[el("input",{type:"radio",name:name,value:v,id:id+"-"+v,
      required:i===0,"data-need":i===0?fmt(T.need_choice,{label:legend}):null}),names[v]||v]));});
  return fs;
}
function actionForm(a){
  var spec=INPUTS[a],id="act-"+a.replace(/_/g,"-"),name=S.actions[a]||a;
  var form=el("form",{cls:"act","data-action":a},[el("p",{cls:"note",id:id+"-hint",text:S.hints[a]||""})]);
  if(spec.reason)form.appendChild(choices("reason",reasonLegend(a),spec.reason,S.reasons,id));
  if(spec.verdict)form.appendChild(choices("verdict",T.verdict,spec.verdict,S.verdicts,id));
  if(spec.assignee){var list=id+"-officers";
    form.appendChild(el("label",{"for":id+"-assignee",text:T.assignee+T.required}));
    form.appendChild(el("input",{type:"text",id:id+"-assignee",name:"assignee",list:list,required:true,
      /* the server's pattern, in either case: the number is sent in capitals */
      pattern:spec.assignee.replace(/^\^|\$$/g,"").replace("A-Z","A-Za-z"),maxlength:16,
      autocapitalize:"characters",spellcheck:"false"}));
    form.appendChild(el("datalist",{id:list},((current&&current.officers)||[]).filter(function(o){
      return o!==current.holder;}).map(function(o){return el("option",{value:o});})));}
  if(spec.text){var need=spec.text==="required";
    form.appendChild(el("label",{"for":id+"-text",text:(S.text_labels[a]||"")+(need?T.required:T.optional)}));
    form.appendChild(el("textarea",{id:id+"-text",name:"text",rows:3,maxlength:LIMIT,required:need,
      "data-need":need?fmt(T.need_text,{label:S.text_labels[a]||""}):null}));}
  form.appendChild(el("button",{type:"submit",id:id,"aria-describedby":id+"-hint",text:name}));
  form.addEventListener("submit",function(e){e.preventDefault();
    if(CONFIRM.indexOf(a)>=0)ask(form,a);else act(form,a);});
  return form;
}
/* A move that cannot be taken back is asked about first, in the form itself: say what follows,
   then send it or leave everything as it was. */
function ask(form,a){
  var old=form.querySelector(".confirm");if(old){old.querySelector("button").focus();return;}
  var id="confirm-"+a.replace(/_/g,"-"),name=S.actions[a]||a;
  var yes=el("button",{type:"button",id:id+"-yes",text:fmt(T.confirm_yes,{action:name})});
  var no=el("button",{type:"button",cls:"quiet",id:id+"-no",text:T.cancel});
  var box=el("div",{cls:"confirm",role:"group","aria-labelledby":id+"-q"},
    [el("p",{id:id+"-q",text:T["confirm_"+a]||""}),yes," ",no]);
  form.querySelector("button[type=submit]").hidden=true;form.appendChild(box);yes.focus();
  function close(){box.remove();form.querySelector("button[type=submit]").hidden=false;}
  yes.addEventListener("click",function(){close();act(form,a);});
  no.addEventListener("click",function(){close();notice(T.cancelled);form.querySelector("button").focus();});
}
function busy(on){document.querySelectorAll("#task-actions button").forEach(function(b){b.disabled=on;});
  $("task").setAttribute("aria-busy",on?"true":"false");}
async function act(form,a){
  if(!current)return;
  var spec=INPUTS[a],body={action:a,version:current.version,text:""},code=current.tracking_code;
  var box=form.querySelector("textarea");if(box)body.text=box.value.trim();
  ["reason","verdict"].forEach(function(k){if(spec[k]){var c=form.querySelector("input[name="+k+"]:checked");
    body[k]=c?c.value:null;}});
  if(spec.assignee)body.assignee=form.querySelector("input[name=assignee]").value.trim().toUpperCase()||null;
  busy(true);notice(T.sending);
  try{var t=await api("POST","/staff/tasks/"+code+"/actions",body);
    renderTask(t);notice(fmt(T.done,{action:S.actions[a]||a,state:stateName(t.state)}));focusOn("actions-h");}
  catch(e){
    if(e instanceof Failure&&e.status===409){
      try{renderTask(await api("GET","/staff/tasks/"+code));}
      catch{/* not reloaded: the conflict is reported all the same */}
      problem([e.code==="stale_version"?T.conflict:T.refused]);focusOn("actions-h");
    }else{fail(e,a);var first=form.querySelector("textarea,input");if(first&&e.status===422)first.focus();}
  }
  finally{busy(false);}
}

/* Not-adopted reports */
async function loadReports(focus){
  show("reports");if(focus)focusOn("reports-h");
  try{var data=await api("GET","/staff/reports"),items=data.reports||[],body=$("report-rows");clear(body);
    items.forEach(function(r){body.appendChild(el("tr",{role:"row"},[
      cell(T.col_code,[el("a",{cls:"code",href:"#task="+r.tracking_code,text:r.tracking_code})]),
      cell(T.col_hall,[r.hall_code]),cell(T.col_window,[r.window_code]),
      cell(T.col_reason_kind,[S.reasons[r.reason]||r.reason]),cell(T.col_proposed_by,[r.proposed_by]),
      cell(T.col_approved_by,[r.approved_by]),cell(T.col_decided_at,[china(r.decided_at)])]));});
    $("no-reports").hidden=items.length>0;$("report-table").hidden=items.length===0;}
  catch(e){fail(e);}
}

/* Figures 评价数据: the scopes GET /staff/figures shows to the reader's roles (operations/figures.py). */
function scopes(){
  if(!session)return [];var r=session.roles,has=function(x){return r.indexOf(x)>=0;},division=has("admin")||has("overseer");
  if(!division&&!session.hall)return [];
  if(!division&&!has("supervisor")&&!has("officer"))return [];
  var out=["hall","department","window"];
  if(has("admin")||has("supervisor"))out.push("staff");
  if(division)out.push("division");
  return out;
}
var PERIOD={day:{type:"date",len:10},month:{type:"month",len:7},year:{type:"number",len:4}};
/* Today, this month or this year in Asia/Shanghai, by the server's clock. */
function thisPeriod(kind){return china(new Date(Date.now()+skew).toISOString()).slice(0,PERIOD[kind].len);}
function periodInput(){
  var kind=$("g-kind").value,box=$("g-period"),spec=PERIOD[kind];
  box.value="";box.type=spec.type;
  if(kind==="year"){box.min="2000";box.max="2100";box.step="1";}
  else{box.removeAttribute("min");box.removeAttribute("max");box.removeAttribute("step");}
  box.value=thisPeriod(kind);$("g-period-label").textContent=T["figures_period_"+kind];
}
function openFigures(focus){
  show("figures");
  var select=$("g-scope"),chosen=select.value,allowed=scopes();
  clear(select);allowed.forEach(function(s){select.appendChild(el("option",{value:s,text:T["scope_"+s]}));});
  select.value=allowed.indexOf(chosen)>=0?chosen:"hall";
  if(!$("g-period").value)periodInput();
  if(focus)focusOn("figures-h");
  loadFigures();
}
function figuresQuery(){
  var q=new URLSearchParams();q.set("period",String($("g-period").value).trim());q.set("scope",$("g-scope").value);
  return q;
}
/* A rate as a percentage; "—" where there was nothing to rate. */
function pct(v){return v===null||v===undefined?null:(v*100).toFixed(2)+"%";}
function shown(v){return v===null?el("span",{title:T.nothing_to_rate,text:"—"}):v;}
async function loadFigures(){
  var q=figuresQuery(),table=$("figures-table"),link=$("figures-csv");
  link.hidden=true;$("assessment").hidden=true;table.setAttribute("aria-busy","true");
  $("figures-summary").textContent=T.loading;
  try{var data=await api("GET","/staff/figures?"+q),rows=data.figures||[],body=$("figures-rows");clear(body);
    rows.forEach(function(f){body.appendChild(el("tr",{role:"row"},[
      cell(T.col_unit,[el("span",{cls:"code",text:f.code})]),cell(T.col_valid,[String(f.valid)]),
      cell(T.col_good_rate,[shown(pct(f.good_rate))]),cell(T.col_bad_rate,[shown(pct(f.bad_rate))]),
      cell(T.col_mean_score,[shown(f.mean_score===null?null:Number(f.mean_score).toFixed(2))]),
      cell(T.col_reply_rate,[shown(pct(f.reply_rate))]),cell(T.col_call_back_rate,[shown(pct(f.call_back_rate))]),
      cell(T.col_real_name_rate,[shown(pct(f.real_name_call_back_rate))]),
      cell(T.col_fix_satisfaction,[shown(pct(f.fix_satisfaction))]),
      cell(T.col_on_time_rate,[shown(pct(f.on_time_rate))])]));});
    $("figures-summary").textContent=fmt(T.figures_summary,{scope:T["scope_"+data.scope]||data.scope,
      period:data.period,n:rows.length});
    $("no-figures").hidden=rows.length>0;table.hidden=rows.length===0;
    q.set("format","csv");link.setAttribute("href","/staff/figures?"+q);
    link.setAttribute("download","figures-"+data.scope+"-"+data.period+".csv");link.hidden=false;
    await loadAssessment(data.period);}
  catch(e){$("figures-summary").textContent="";fail(e,"figures");}
  finally{table.setAttribute("aria-busy","false");}
}
/* Rankings and internal lists 排名与榜单 (GET /staff/assessment): supervisors and admins only. */
function mayAssess(){
  if(!session)return false;var r=session.roles;
  return (r.indexOf("supervisor")>=0&&!!session.hall)||r.indexOf("admin")>=0;
}
function kindOf(x){return T["scope_"+x.scope]||x.scope;}
function code(x){return el("span",{cls:"code",text:x.code});}
/* The Wilson lower bound as a percentage. */
function bound(x){return (x.lower_bound*100).toFixed(2)+"%";}
/* One list's table: a row per entry, each cell labelled for the phone's cards; "none" when empty. */
function fillList(name,entries,columns){
  var body=$(name+"-rows");clear(body);
  entries.forEach(function(x){body.appendChild(el("tr",{role:"row"},columns.map(function(c){
    var v=c[1](x);return cell(T[c[0]],[typeof v==="object"?v:String(v)]);})));});
  $(name+"-none").hidden=entries.length>0;$(name+"-table").hidden=entries.length===0;
}
async function loadAssessment(period){
  var box=$("assessment");
  if(!mayAssess()){box.hidden=true;return;}
  var data=await api("GET","/staff/assessment?"+new URLSearchParams({period:period})),ranked=[],unranked=[],least=0;
  (data.rankings||[]).forEach(function(r){ranked=ranked.concat(r.ranked);unranked=unranked.concat(r.not_ranked);
    least=r.minimum_sample;});
  fillList("ranking",ranked,[["col_kind",kindOf],["col_rank",function(x){return x.rank;}],["col_unit",code],
    ["col_valid",function(x){return x.valid;}],["col_good",function(x){return x.good;}],["col_bound",bound]]);
  fillList("unranked",unranked,[["col_kind",kindOf],["col_unit",code],["col_valid",function(x){return x.valid;}],
    ["col_good",function(x){return x.good;}]]);
  fillList("red",data.red_list,[["col_kind",kindOf],["col_rank",function(x){return x.rank;}],["col_unit",code],
    ["col_bound",bound]]);
  fillList("supervision",data.key_supervision,[["col_kind",kindOf],["col_unit",code],
    ["col_bad_reviews",function(x){return x.bad_reviews;}],["col_valid",function(x){return x.valid;}]]);
  $("supervision-monthly").hidden=data.monthly;
  fillList("performance",data.performance,[["col_kind",kindOf],["col_unit",code],
    ["col_bad_reviews",function(x){return x.bad_reviews;}],["col_verified",function(x){return x.verified_bad_reviews;}],
    ["col_deduction",function(x){return x.deduction;}],
    ["col_eligible",function(x){return x.excellence_eligible?T.eligible_yes:T.eligible_no;}]]);
  fillList("organisation",data.organisation_list,[["col_unit",code],
    ["col_verified",function(x){return x.verified_bad_reviews;}],["col_deduction",function(x){return x.deduction;}]]);
  $("assessment-summary").textContent=fmt(T.assessment_summary,{period:data.period,n:ranked.length,
    m:unranked.length,min:least});
  box.hidden=false;
}
/* The CSV needs the token, which a plain link cannot send: fetched, then offered as a file. */
async function downloadFigures(){
  var link=$("figures-csv");
  if(!session||session.exp<=Date.now()){signOut(T.expired);return;}
  try{
    var r=await fetch(link.getAttribute("href"),{headers:{"Accept":"text/csv","Authorization":"Bearer "+session.token},
      cache:"no-store",credentials:"omit"});
    if(r.status===401){signOut(T.expired);return;}
    if(!r.ok){var data=null;try{data=await r.json();}catch{/* no JSON body: the status says enough */}
      throw new Failure(r.status,data);}
    var url=URL.createObjectURL(await r.blob()),a=el("a",{href:url,download:link.getAttribute("download")});
    document.body.appendChild(a);a.click();a.remove();setTimeout(function(){URL.revokeObjectURL(url);},60000);
    notice(T.figures_csv_ready);
  }catch(e){fail(e instanceof Failure?e:new Failure(0,null),"figures");}
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
    var data=null;try{data=await r.json();}catch{/* no JSON body: the status says enough */}
    pass.value="";
    if(!r.ok||!data||!data.id_token){
      problem([r.status===401?T.sign_in_refused:fmt(T.failed,{status:r.status})]);pass.focus();return;}
    begin(data);notice(T.signed_in);route(true);
  }catch{problem([T.network]);}
  finally{button.disabled=false;}
});
$("signout").addEventListener("click",function(){signOut(T.signed_out);});
$("filters").addEventListener("submit",function(e){e.preventDefault();loadTasks(false);});
$("figures-form").addEventListener("submit",function(e){e.preventDefault();loadFigures();});
$("g-kind").addEventListener("change",periodInput);
$("figures-csv").addEventListener("click",function(e){e.preventDefault();downloadFigures();});
["nav-tasks","nav-reports","nav-figures"].forEach(function(id){$(id).addEventListener("click",function(e){
  if($(id).getAttribute("href")===location.hash){e.preventDefault();route(true);}});});
window.addEventListener("hashchange",function(){route(true);});
/* The browser's own validation messages come in the browser's language: every required field
   says what it needs in the console's (data-need), and is cleared as soon as it is touched. */
document.addEventListener("invalid",function(e){var f=e.target;if(!f.getAttribute("data-need"))return;
  f.setCustomValidity("");if(!f.validity.valid)f.setCustomValidity(f.getAttribute("data-need"));},true);
function touched(e){var f=e.target;if(!f.setCustomValidity)return;f.setCustomValidity("");
  if(f.type==="radio"&&f.form)f.form.querySelectorAll("input[name="+f.name+"]").forEach(function(r){
    r.setCustomValidity("");});}
document.addEventListener("input",touched,true);document.addEventListener("change",touched,true);
session=restore();route(session?false:undefined);
setInterval(tick,1000);
})();
