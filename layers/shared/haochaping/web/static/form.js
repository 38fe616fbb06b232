(function(){"use strict";var f=document.getElementById('rate');if(!f)return;var d=document.getElementById('details'),
h=document.getElementById('chosen');f.addEventListener('click',function(e){var b=e.target.closest('.face');
if(!b)return;var bad=b.dataset.bad==='1';f.querySelectorAll('.face').forEach(function(x){
x.setAttribute('aria-pressed',x===b?'true':'false')});f.querySelectorAll('fieldset[data-level]').forEach(
function(s){var on=bad&&s.dataset.level===b.value;s.hidden=!on;s.disabled=!on});if(!bad)return;
e.preventDefault();h.disabled=false;h.value=b.value;d.hidden=false;d.querySelector('h2').focus()})})();
