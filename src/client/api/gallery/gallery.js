// The gallery: recent runs, their output beside the inputs, live progress over SSE, lineage and rating.
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get('token')) {
  sessionStorage.setItem('cosmos-token', hash.get('token'));
  history.replaceState(null, '', location.pathname);
}
const token = sessionStorage.getItem('cosmos-token');
const terminal = new Set(['completed', 'failed', 'cancelled']);
const prompts = new Map();
const cards = new Map();
const streams = new Map();

async function api(path, init = {}) {
  const headers = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'Content-Type': 'application/json' } : {}) };
  const response = await fetch(path, { ...init, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

// <video> and EventSource cannot send an Authorization header.
const withToken = (url) => (token ? `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` : url);

function showError(error) {
  const box = document.getElementById('error');
  box.hidden = !error;
  box.textContent = error ? String(error.message ?? error) : '';
}

async function loadPrompt(id) {
  if (!prompts.has(id)) prompts.set(id, api(`/prompts/${id}`).then((body) => body.prompt));
  return prompts.get(id);
}

function video(caption, src) {
  const figure = document.createElement('figure');
  const element = document.createElement('video');
  Object.assign(element, { controls: true, muted: true, loop: true, preload: 'metadata', src: withToken(src) });
  element.dataset.role = caption;
  const label = document.createElement('figcaption');
  label.textContent = caption;
  figure.append(element, label);
  return figure;
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
  card.querySelector('.error-message').textContent = state.errorMessage ?? '';
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

async function renderVideos(card, run, prompt) {
  const videos = card.querySelector('.videos');
  const figures = [];
  const mp4s = run.status === 'completed' ? (await api(`/runs/${run.id}`)).files.filter((f) => f.name.endsWith('.mp4')) : [];
  // The model's result first (output.mp4, output_4k.mp4), then the inputs, then controls the model generated.
  const isResult = (f) => /^output[^/]*\.mp4$/.test(f.name);
  for (const file of mp4s.filter(isResult)) figures.push(video(`output (${file.name})`, file.url));
  if (prompt) {
    for (const [role, label] of [['video', 'input'], ['depth', 'depth control'], ['seg', 'segmentation control']]) {
      if (prompt.inputs[role]) figures.push(video(label, prompt.inputs[role].url));
    }
  }
  for (const file of mp4s.filter((f) => !isResult(f))) figures.push(video(`generated ${file.name.replace(/\.mp4$/, '')}`, file.url));
  videos.replaceChildren(...figures);
}

async function renderRun(run) {
  let card = cards.get(run.id);
  if (!card) {
    card = document.getElementById('run-card').content.firstElementChild.cloneNode(true);
    card.dataset.runId = run.id;
    cards.set(run.id, card);
  }
  card.dataset.status = run.status;
  card.querySelector('.name').textContent = run.promptName ?? run.promptId;
  card.querySelector('.id').textContent = run.id;
  card.querySelector('.meta').textContent = `${run.modelType} · ${run.gpuHost ?? '-'} · ${new Date(run.createdAt).toLocaleString()}`;
  renderProgress(card, run);
  renderRating(card, run);
  const prompt = await loadPrompt(run.promptId).catch(() => null);
  const lineage = card.querySelector('.lineage');
  lineage.replaceChildren();
  if (run.parentRunId) lineage.append('upscaled from ', link('', run.parentRunId), ' ');
  if (prompt?.parentPromptId) lineage.append('enhanced from ', link('', prompt.parentPromptId));
  await renderVideos(card, run, prompt);
  if (!terminal.has(run.status)) follow(run);
  return card;
}

function follow(run) {
  if (streams.has(run.id)) return;
  const source = new EventSource(withToken(`/runs/${run.id}/events`));
  streams.set(run.id, source);
  source.addEventListener('status', (event) => renderProgress(cards.get(run.id), JSON.parse(event.data)));
  source.addEventListener('end', async () => {
    source.close();
    streams.delete(run.id);
    const { run: finished } = await api(`/runs/${run.id}`);
    await renderRun({ ...run, ...finished });
  });
}

async function refresh() {
  try {
    const { runs } = await api('/runs?limit=24');
    const list = document.getElementById('runs');
    const unchanged = (run) => cards.get(run.id)?.dataset.status === run.status;
    const rendered = await Promise.all(runs.map((run) => (unchanged(run) ? cards.get(run.id) : renderRun(run))));
    list.replaceChildren(...rendered);
    const running = runs.filter((r) => !terminal.has(r.status)).length;
    document.getElementById('summary').textContent = `${runs.length} recent runs · ${running} in progress`;
    document.body.dataset.loaded = 'true';
    showError(null);
  } catch (error) {
    showError(error);
  }
}

await refresh();
setInterval(refresh, 10_000);
