// The gallery: recent runs, their output beside the inputs, live progress over SSE, lineage and rating.
// It authenticates with a session cookie: the #token= of the URL cosmos dev prints is traded once, then dropped.
const terminal = new Set(['completed', 'failed', 'cancelled']);
const MAX_STREAMS = 4; // browsers allow 6 connections per host over HTTP/1.1; leave room for media and the API
const prompts = new Map();
const cards = new Map();
const streams = new Map();

async function api(path, init = {}) {
  const headers = init.body ? { 'Content-Type': 'application/json' } : {};
  const response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) throw new Error('Not signed in: open the gallery link that `cosmos dev` or `cosmos api` printed (it ends in #token=…).');
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

async function signIn() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return;
  // Out of the address bar and the history before anything else can read it.
  history.replaceState(null, '', location.pathname);
  await api('/session', { method: 'POST', body: JSON.stringify({ token }) });
}

function showError(error) {
  const box = document.getElementById('error');
  box.hidden = !error;
  box.textContent = error ? String(error.message ?? error) : '';
}

async function loadPrompt(id) {
  if (!prompts.has(id)) prompts.set(id, api(`/prompts/${id}`).then((body) => body.prompt));
  return prompts.get(id);
}

// The source is set once the card is in the page (attachMedia): media in a detached or inert tree is refused.
function video(caption, src, poster) {
  const figure = document.createElement('figure');
  const element = document.createElement('video');
  Object.assign(element, { controls: true, muted: true, loop: true, preload: 'metadata' });
  if (poster) element.poster = poster;
  element.dataset.src = src;
  element.dataset.role = caption;
  const label = document.createElement('figcaption');
  label.textContent = caption;
  figure.append(element, label);
  return figure;
}

function attachMedia(root) {
  for (const element of root.querySelectorAll('video[data-src]')) {
    if (element.getAttribute('src') !== element.dataset.src) element.src = element.dataset.src;
  }
}

function link(text, id) {
  const code = document.createElement('code');
  code.textContent = text + id;
  return code;
}

function renderProgress(card, state) {
  card.querySelector('.status').textContent = state.status;
  card.querySelector('.status').className = `status ${state.status}`;
  const percent = Math.round((state.progress ?? 0) * 100);
  card.querySelector('.fill').style.width = `${state.status === 'completed' ? 100 : percent}%`;
  card.querySelector('.label').textContent = state.status === 'running' ? `${state.stage ?? 'running'} · ${percent}%` : state.status;
  const failure = card.querySelector('.failure');
  failure.hidden = !state.failureKind;
  card.querySelector('.failure-kind').textContent = state.failureKind ?? '';
  card.querySelector('.error-message').textContent = state.errorMessage ?? '';
  if (state.hint !== undefined) card.querySelector('.hint').textContent = state.hint ?? '';
}

function renderRating(card, run) {
  const box = card.querySelector('.rating');
  box.replaceChildren();
  for (let stars = 1; stars <= 5; stars += 1) {
    const button = document.createElement('button');
    button.textContent = '★';
    button.title = `rate ${stars}`;
    button.className = run.rating && stars <= run.rating ? 'on' : '';
    button.disabled = run.status !== 'completed';
    button.onclick = () => api(`/runs/${run.id}/rating`, { method: 'PUT', body: JSON.stringify({ rating: stars }) })
      .then((body) => renderRating(card, body.run), showError);
    box.append(button);
  }
}

function renderVideos(card, files, prompt, result) {
  const figures = [];
  const byName = new Map(files.map((f) => [f.name, f]));
  const posterOf = (file) => byName.get(file.name.replace(/\.mp4$/, '.poster.jpg'))?.url;
  const mp4s = files.filter((f) => f.name.endsWith('.mp4'));
  // The model's result first (the file its result names), then the inputs, then controls the model generated.
  const isResult = (f) => (result?.file ? f.name === result.file : /^output[^/]*\.mp4$/.test(f.name));
  for (const file of mp4s.filter(isResult)) figures.push(video(`output (${file.name})`, file.url, posterOf(file)));
  if (prompt) {
    for (const [role, label] of [['video', 'input'], ['depth', 'depth control'], ['seg', 'segmentation control']]) {
      const input = prompt.inputs[role];
      if (input) figures.push(video(label, input.url, input.posterUrl));
    }
  }
  for (const file of mp4s.filter((f) => !isResult(f))) figures.push(video(`generated ${file.name.replace(/\.mp4$/, '')}`, file.url, posterOf(file)));
  card.querySelector('.videos').replaceChildren(...figures);
}

async function renderRun(run) {
  let card = cards.get(run.id);
  if (!card) {
    // importNode, not cloneNode: a clone belongs to the template's inert document, where media never loads.
    card = document.importNode(document.getElementById('run-card').content.firstElementChild, true);
    card.dataset.runId = run.id;
    cards.set(run.id, card);
  }
  card.dataset.status = run.status;
  card.querySelector('.name').textContent = run.promptName ?? run.promptId;
  card.querySelector('.id').textContent = run.id;
  card.querySelector('.meta').textContent = `${run.modelType} · ${run.gpuHost ?? '-'} · ${new Date(run.createdAt).toLocaleString()}`;
  renderProgress(card, run);
  renderRating(card, run);
  const [prompt, detail] = await Promise.all([
    loadPrompt(run.promptId).catch(() => null),
    terminal.has(run.status) ? api(`/runs/${run.id}`).catch(() => null) : null,
  ]);
  if (detail) renderProgress(card, { ...detail.run, hint: detail.hint });
  const lineage = card.querySelector('.lineage');
  lineage.replaceChildren();
  if (run.parentRunId) lineage.append('upscaled from ', link('', run.parentRunId), ' ');
  if (prompt?.parentPromptId) lineage.append('enhanced from ', link('', prompt.parentPromptId));
  renderVideos(card, run.status === 'completed' && detail ? detail.files : [], prompt, detail?.run?.outputs?.result);
  if (!terminal.has(run.status)) follow(run);
  return card;
}

function follow(run) {
  if (streams.has(run.id) || streams.size >= MAX_STREAMS) return; // the 10 s refresh shows the rest
  const source = new EventSource(`/runs/${run.id}/events`);
  streams.set(run.id, source);
  source.addEventListener('status', (event) => renderProgress(cards.get(run.id), JSON.parse(event.data)));
  source.addEventListener('end', async () => {
    source.close();
    streams.delete(run.id);
    const { run: finished } = await api(`/runs/${run.id}`);
    const card = await renderRun({ ...run, ...finished });
    attachMedia(card);
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) streams.delete(run.id);
  };
}

async function refresh() {
  try {
    const { runs } = await api('/runs?limit=24');
    const list = document.getElementById('runs');
    const unchanged = (run) => cards.get(run.id)?.dataset.status === run.status;
    const rendered = await Promise.all(runs.map((run) => (unchanged(run) ? cards.get(run.id) : renderRun(run))));
    list.replaceChildren(...rendered);
    attachMedia(list);
    const running = runs.filter((r) => !terminal.has(r.status)).length;
    document.getElementById('summary').textContent = `${runs.length} recent runs · ${running} in progress`;
    document.body.dataset.loaded = 'true';
    showError(null);
  } catch (error) {
    showError(error);
  }
}

await signIn().catch(showError);
await refresh();
setInterval(refresh, 10_000);
