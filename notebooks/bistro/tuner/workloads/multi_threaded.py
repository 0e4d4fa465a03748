"""Resize a dish's photo in tiles: the same arithmetic spread over worker threads."""
import threading


def resize(tiles, results):
    total = 0
    for pixel in range(tiles):
        total = (total * 31 + pixel) % 1_000_003
    results.append(total)


def handler(event, context):
    threads, results = event.get("threads", 6), []
    workers = [threading.Thread(target=resize, args=(event.get("lines", 12000) // threads, results))
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"tiles": len(results)}
