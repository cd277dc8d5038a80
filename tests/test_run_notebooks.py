"""`make run`'s runner: executed notebook, HTML copy and an index page with run times."""
import pytest

from tools import run_notebooks


@pytest.mark.notebook
def test_runner_writes_notebook_html_and_index(tmp_path):
    first = run_notebooks.notebook_paths()[0]
    assert run_notebooks.main([first.name[:2], "--fast", "--out", str(tmp_path)]) == 0
    assert (tmp_path / first.name).exists()
    assert "<html" in (tmp_path / first.with_suffix(".html").name).read_text()
    index = (tmp_path / "index.html").read_text()
    assert first.stem in index and "ok" in index


def test_runner_reports_a_failing_notebook(tmp_path, monkeypatch):
    def boom(path, out_path, fast, device="auto", seed=0):
        raise RuntimeError("cell 3 failed")

    monkeypatch.setattr(run_notebooks, "execute", boom)
    assert run_notebooks.main(["01", "--out", str(tmp_path)]) == 1
    assert "cell 3 failed" in (tmp_path / "index.html").read_text()


def test_runner_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit):
        run_notebooks.main(["no-such-notebook", "--out", str(tmp_path)])


def test_kernel_messages_are_awaited_in_slices_up_to_the_callers_timeout():
    """The runner's kernel client waits for a message in 1 s slices (a missed zmq wake-up then costs a slice, not
    the cell timeout), yet still waits as long as asked and still delivers the kernel's replies."""
    import asyncio
    import time
    from queue import Empty

    async def talk():
        km = run_notebooks._sliced_poll_kernel_manager()(kernel_name=run_notebooks.KERNEL)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("1 + 1")
            reply = await kc.shell_channel.get_msg(timeout=30)
            start = time.monotonic()
            with pytest.raises(Empty):
                await kc.shell_channel.get_msg(timeout=2.5)
            return reply, msg_id, time.monotonic() - start
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    reply, msg_id, waited = asyncio.run(talk())
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    assert 2.5 <= waited < 4.0
