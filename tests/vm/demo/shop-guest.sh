# /etc/aalearn-shop.sh in the test VM: the demo service's peers and runs.
# Installed with the service by vm_payload_shop (tests/vm/lib.sh).

# shop_peers: start the worker's unconfined peers, the front end on TCP
# 127.0.0.1:8080 and the reloader that takes SIGHUP.
shop_peers()
{
	mkdir -p /run/shop /srv
	chmod 0755 /usr/local/bin/shop-worker /usr/local/bin/shop-frontend
	nc -ll -p 8080 -e /usr/local/bin/shop-frontend &
	sh -c 'trap "echo reload >> /var/log/shop-reloader.log" HUP
		while :; do sleep 1 & wait $!; done' &
	echo $! > /run/shop/reloader.pid
	sleep 1
}

# shop_run [PROFILE]: one run of the worker, under PROFILE (aa-exec) when
# given, else under whatever attaches to /usr/local/bin/shop-worker.
shop_run()
{
	if [ -n "${1:-}" ]; then
		aa-exec -p "$1" -- /usr/local/bin/shop-worker
	else
		/usr/local/bin/shop-worker
	fi
}

# shop_frontend_lines: messages the front end received so far.
shop_frontend_lines()
{
	cat /var/log/shop-frontend.log 2>/dev/null | wc -l
}
