// Rewrites every <time class="nada-time" datetime="..."> (rendered in UTC by the server) to the viewer's local time,
// also in parts of the page Blazor renders later. The UTC value stays in the title.
(function () {
    const pad = n => String(n).padStart(2, '0');
    function text(d, format) {
        const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
        return format === 'time' ? hm : d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hm;
    }
    function fix() {
        document.querySelectorAll('time.nada-time[datetime]').forEach(t => {
            const d = new Date(t.getAttribute('datetime'));
            if (isNaN(d)) return;
            const want = text(d, t.dataset.format);
            if (t.textContent !== want) {
                t.title = d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
                t.textContent = want;
                t.dataset.local = '1';
            }
        });
    }
    new MutationObserver(fix).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    document.addEventListener('DOMContentLoaded', fix);
    fix();
})();
