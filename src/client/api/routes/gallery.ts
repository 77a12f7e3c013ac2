import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { findProjectRoot } from '../../../paths.js';

const assets = {
  'index.html': 'text/html; charset=utf-8',
  'gallery.js': 'text/javascript; charset=utf-8',
  'gallery.css': 'text/css; charset=utf-8',
} as const;

// Static files stay in src/ (tsc does not copy them), found from dist/ or src/ alike.
const galleryDir = () => join(findProjectRoot(), 'src', 'client', 'api', 'gallery');

/** The gallery page at `/` and its two assets; public, since the page itself holds no data. */
export function galleryRoutes(): Hono {
  const app = new Hono();
  const dir = galleryDir();
  const files = Object.fromEntries(Object.keys(assets).map((name) => [name, readFileSync(join(dir, name))]));
  const send = (name: keyof typeof assets) => () =>
    new Response(files[name], { headers: { 'Content-Type': assets[name], 'Cache-Control': 'no-cache' } });
  app.get('/', send('index.html'));
  app.get('/gallery/gallery.js', send('gallery.js'));
  app.get('/gallery/gallery.css', send('gallery.css'));
  return app;
}
