(function(){"use strict";var f=document.getElementById('rate');if(!f)return;var d=document.getElementById('details'),
h=document.getElementById('chosen');f.addEventListener('click',function(e){var b=e.target.closest('.face');
if(!b)return;var bad=b.dataset.bad==='1';f.querySelectorAll('.face').forEach(function(x){
x.setAttribute('aria-pressed',x===b?'true':'false')});f.querySelectorAll('fieldset[data-level]').forEach(
function(s){var on=bad&&s.dataset.level===b.value;s.hidden=!on;s.disabled=!on});if(!bad)return;
e.preventDefault();h.disabled=false;h.value=b.value;d.hidden=false;d.querySelector('h2').focus()});
/* The call-back's fields are checked here, in the page's words, before anything is sent: a refused
   post would come back without them (the server never echoes a name or a number). */
var n=document.getElementById('ev-name'),p=document.getElementById('ev-phone'),c=document.getElementById('ev-consent');
function problems(){var found=[],name=n.value.trim(),phone=p.value.trim();if(!name&&!phone)return found;
if(!name)found.push([n,n.dataset.missing]);if(!phone)found.push([p,p.dataset.missing]);
else if(!/^1[3-9][0-9]{9}$/.test(phone))found.push([p,p.dataset.invalid]);
if(!c.checked)found.push([c,c.dataset.missing]);return found}
function show(found){var box=document.getElementById('problems');if(box)box.remove();
[n,p,c].forEach(function(x){x.removeAttribute('aria-invalid');x.removeAttribute('aria-describedby')});
if(!found.length)return;box=document.createElement('div');box.className='card error';box.id='problems';
box.setAttribute('role','alert');box.setAttribute('aria-labelledby','problems-h');var t=document.createElement('h2');
t.id='problems-h';t.tabIndex=-1;t.textContent=f.dataset.problem;var list=document.createElement('ul');
found.forEach(function(x){var li=document.createElement('li'),a=document.createElement('a');li.id='problem-'+x[0].id;
a.href='#'+x[0].id;a.textContent=x[0].dataset.label;li.appendChild(a);li.appendChild(document.createTextNode(
f.dataset.colon+x[1]));list.appendChild(li);x[0].setAttribute('aria-invalid','true');
x[0].setAttribute('aria-describedby',li.id)});box.appendChild(t);box.appendChild(list);f.parentNode.insertBefore(box,f);
t.focus()}
f.addEventListener('submit',function(e){if(!n||d.hidden)return;var found=problems();show(found);
if(found.length)e.preventDefault()})})();
